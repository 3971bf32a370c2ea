"""Fonts for plots with Chinese text, so queue and group names never print as boxes.

Matplotlib's default font, DejaVu Sans, has no CJK glyphs. Plots keep DejaVu Sans for Latin text and
fall back, glyph by glyph, to a CJK font: the system's own when it has one (Microsoft YaHei on Windows,
PingFang SC on macOS, Noto Sans CJK SC or WenQuanYi on Linux), else ``ccsim-cjk.otf`` from this folder,
a subset of Noto Sans CJK SC (SIL Open Font License, ``OFL.txt``) holding the 9,707 characters of GB 2312,
Big5 level 1 and CJK punctuation; README.md says how it was made.
"""

from __future__ import annotations

from pathlib import Path

BUNDLED = Path(__file__).with_name("ccsim-cjk.otf")
BUNDLED_FAMILY = "ccsim CJK"
SYSTEM_CJK = ("Microsoft YaHei", "PingFang SC", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
              "SimHei")


def use_cjk_fonts() -> list[str]:
    """Register the bundled font with Matplotlib and make plots fall back to CJK fonts; returns the families
    tried, in order (the first is DejaVu Sans).
    """
    from matplotlib import font_manager, rcParams

    names = {font.name for font in font_manager.fontManager.ttflist}
    if BUNDLED_FAMILY not in names:
        font_manager.fontManager.addfont(str(BUNDLED))
    families = ["DejaVu Sans", *[f for f in SYSTEM_CJK if f in names], BUNDLED_FAMILY]
    rcParams["font.family"] = families
    return families
