"""Fonts for plots with Chinese text, so queue and group names never print as boxes.

Matplotlib's default font, DejaVu Sans, has no CJK glyphs. Plots keep DejaVu Sans for Latin text and
fall back, glyph by glyph, to a CJK font: the system's own when it has one (Microsoft YaHei on Windows,
PingFang SC on macOS, Noto Sans CJK SC or WenQuanYi on Linux), else ``ccsim-cjk.otf`` from this folder,
a subset of Noto Sans CJK SC (SIL Open Font License, ``OFL.txt``) holding the 9,707 characters of GB 2312,
Big5 level 1 and CJK punctuation; README.md says how it was made. HTML pages embed the few glyphs
they use from it (``glyphs_for``), so their Chinese text renders in any browser too.
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


def glyphs_for(text: str) -> bytes | None:
    """The bundled font cut down to the characters of ``text`` beyond ASCII (OpenType/CFF bytes, a few KB
    for a page's names), or None when ``text`` has none it draws.
    """
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(BUNDLED), recalcTimestamp=False)          # the same page from the same tables
    drawn = set(font.getBestCmap())
    wanted = sorted({c for c in text if ord(c) > 0x7F and ord(c) in drawn})
    if not wanted:
        return None
    options = subset.Options()
    options.layout_features, options.hinting, options.name_IDs = [], False, ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(wanted))
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()
