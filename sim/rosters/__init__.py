"""Rosters at least cost: shift templates (``templates``), the candidate shifts (``patterns``, priced by
``sim.costs``), the integer programme choosing them (``programme``) and the loop that closes it
by simulation (``search``). docs/rosters.md.
"""
