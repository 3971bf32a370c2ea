"""The sections of each kind of results page (``sim.html_report`` declares the kinds and writes the
page): one module per kind, built of ``cells``.
"""
