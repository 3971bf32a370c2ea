"""Plots and tables speak each channel's language and show Chinese names."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from fontTools.ttLib import TTFont
from rich.console import Console

import sim
from sim import report
from sim.channels import CHANNELS, channel_of
from sim.console import summary_tables
from sim.fonts import BUNDLED
from tests.conftest import MIXED

ROOT = Path(__file__).resolve().parent.parent
NAMES = "售前咨询 售后咨询 热线 退款审核 售前组 热线组 夜班 客服主管"


def test_chinese_text_draws_without_missing_glyphs(tmp_path):
    """Matplotlib warns 'Glyph ... missing' for every character it draws as a box; with the fallback fonts
    it draws them all."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots()
        ax.set_title(f"{NAMES}: answered within 20s / offered")
        ax.plot([0, 1], label="热线组 (call)")
        ax.legend()
        fig.savefig(tmp_path / "t.png")
        plt.close(fig)
    assert [str(w.message) for w in caught if "missing from font" in str(w.message)] == []


def test_the_bundled_font_covers_common_chinese():
    """Every character of GB 2312 (the simplified characters in common use) is in the bundled subset."""
    cmap = TTFont(BUNDLED)["cmap"].getBestCmap()
    common = {bytes([a, b]).decode("gb2312") for a in range(0xB0, 0xF8) for b in range(0xA1, 0xFF)
              if (a, b) not in {(0xD7, c) for c in range(0xFA, 0xFF)}}
    assert len(common) == 6763 and not [c for c in common if ord(c) not in cmap]


def test_a_run_with_chinese_names_plots_without_complaint(tmp_path, capsys):
    data = {**MIXED, "queues": {"售前咨询" if q == "chat_a" else q: spec for q, spec in MIXED["queues"].items()}}
    data["groups"] = {"售前组" if g == "chatters" else g: {**spec, "skills": ["售前咨询" if s == "chat_a" else s
                                                                      for s in spec["skills"]]}
                      for g, spec in MIXED["groups"].items()}
    res = sim.simulate(sim.load_scenario(data), replications=2, seed=1, workers=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        paths = report.save_plots(res, tmp_path)
    assert all(p.stat().st_size > 0 for p in paths)
    assert not [w for w in caught if "missing from font" in str(w.message)]
    assert "no font here draws" not in capsys.readouterr().err


@pytest.fixture(scope="module")
def refunds():
    return sim.simulate(sim.load_scenario(ROOT / "scenarios" / "double11_refunds.yaml"), replications=2, seed=3)


def test_refund_queues_read_as_back_office_work(refunds):
    """Resolved within the deadline target, waits in hours, auto-approvals named as such."""
    sc = refunds.scenario
    queue = sc.queues["refund_requests"]
    assert channel_of(queue).sl_label(queue) == "resolved within 1d"
    assert channel_of(sc.queues["aftersales_chat"]).sl_label(sc.queues["aftersales_chat"]) == \
        "first response within 30s"
    assert CHANNELS["call"].left_column == "abandoned" and CHANNELS["refund"].left_column == "auto_approved"
    out = io.StringIO()
    console = Console(file=out, width=100)
    for table in summary_tables(refunds):
        console.print(table)
    text = out.getvalue()
    assert "back-office queues: service level = resolved in time" in text
    assert "approved" in text and " h " in text and "ASA" in text
    refund_line = next(line for line in text.splitlines() if "refund_requests" in line)
    assert " h " in refund_line and " s " not in refund_line
    assert max(len(line) for line in text.splitlines()) <= 100


def test_a_queue_without_traffic_gets_no_empty_panel(tmp_path):
    """A queue nobody contacts is left out of the plots (its panel was empty); the others keep theirs."""
    import matplotlib.image

    from sim.report import save_plots, with_traffic
    from tests.conftest import single_queue

    data = single_queue(load=5.0, days=1)
    data["queues"]["quiet"] = {**data["queues"]["q"], "arrivals": {"daily_volume": 0, "profile": "flat"}}
    data["groups"]["team"]["skills"] = ["q", "quiet"]
    res = sim.simulate(sim.load_scenario(data), replications=2, seed=1)
    assert with_traffic(res) == ["q"]
    alone = sim.simulate(sim.load_scenario(single_queue(load=5.0, days=1)), replications=2, seed=1)
    save_plots(res, tmp_path)
    (tmp_path / "alone").mkdir()
    save_plots(alone, tmp_path / "alone")
    for name in ("service_level.png", "volumes.png", "waits.png"):        # one panel, as for one queue
        assert matplotlib.image.imread(tmp_path / name).shape == matplotlib.image.imread(
            tmp_path / "alone" / name).shape
