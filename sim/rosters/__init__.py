"""Rosters at least cost: shift templates (``templates``), what shifts cost (``costs``), the candidate
shifts (``patterns``), the integer programme choosing them (``programme``) and the loop that closes it
by simulation (``search``). docs/rosters.md.
"""
