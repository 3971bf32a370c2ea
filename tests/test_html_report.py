"""``report.html`` (``sim.html_report``): written by ``run`` from the folder's saved tables, rebuilt by
``run.py report``, self-contained, with the verdict's numbers those of the summary table; a report error
never loses the run. The checks in a real browser are in ``tests/test_browser.py``."""

from __future__ import annotations

import base64
import io
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
import yaml
from matplotlib import image

from sim.cli import main
from tests.conftest import single_queue


class _Page(HTMLParser):
    """The verdict table's cells (``data-value``) and the inline images of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.in_verdict, self.cells, self.images, self.sources = False, [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.in_verdict = attrs.get("id") == "verdict"
        elif tag == "td" and self.in_verdict:
            self.cells.append(attrs["data-value"])
        elif tag == "img":
            self.images.append(attrs["src"])
        for name in ("src", "href"):
            if name in attrs and tag in ("script", "link", "img"):
                self.sources.append(attrs[name])

    def handle_endtag(self, tag):
        if tag == "table":
            self.in_verdict = False


def _scenario(tmp_path, queue: str = "q"):
    data = single_queue(load=8.0, aht=300, patience=120, days=2)
    data["queues"] = {queue: data["queues"]["q"]}
    data["groups"]["team"]["skills"] = [queue]
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def _parse(path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def test_a_run_writes_a_self_contained_report_with_the_summary_numbers(tmp_path):
    out = tmp_path / "out"
    assert main(["run", str(_scenario(tmp_path, "售前咨询")), "-r", "3", "--workers", "1", "--out", str(out)]) == 0
    page = _parse(out / "report.html")
    summary = pd.read_csv(out / "summary.csv", encoding="utf-8-sig").iloc[0]
    cells = page.cells
    assert cells[0] == "售前咨询"
    assert float(cells[2]) == summary["offered"]
    assert float(cells[3]) == pytest.approx(summary["service_level"], rel=1e-12)
    assert float(cells[5]) == summary["p_meets_sl"] and float(cells[6]) == pytest.approx(summary["abandon_rate"])
    assert len(page.images) == 5
    for src in page.images:                          # inline PNGs that decode to a picture
        assert src.startswith("data:image/png;base64,")
        picture = image.imread(io.BytesIO(base64.b64decode(src.split(",", 1)[1])), format="png")
        assert picture.shape[0] > 100 and picture.shape[1] > 100
    assert all(s.startswith("data:") for s in page.sources)        # nothing fetched from elsewhere
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "售前咨询" in text and re.search(r"<td class=\"(good|bad)\"", text)


def test_the_report_command_rebuilds_it_from_the_saved_tables(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(_scenario(tmp_path)), "-r", "2", "--workers", "1", "--no-plots", "--out", str(out)]) == 0
    first = (out / "report.html").read_text(encoding="utf-8")
    assert "No plots in this folder" in first
    (out / "report.html").unlink()
    assert main(["report", str(out)]) == 0
    assert (out / "report.html").read_text(encoding="utf-8") == first
    assert main(["report", str(tmp_path)]) == 2
    assert "no run results here" in capsys.readouterr().err


def test_a_report_error_is_reported_and_the_run_kept(tmp_path, monkeypatch, capsys):
    import sim.html_report

    def broken(directory):
        raise KeyError("service_level")

    monkeypatch.setattr(sim.html_report, "write_run_report", broken)
    out = tmp_path / "out"
    assert main(["run", str(_scenario(tmp_path)), "-r", "2", "--workers", "1", "--no-plots", "--out", str(out)]) == 0
    assert "report.html was not written (KeyError" in capsys.readouterr().err
    assert (out / "summary.csv").is_file() and not (out / "report.html").exists()
    assert np.isfinite(pd.read_csv(out / "summary.csv", encoding="utf-8-sig")["service_level"]).all()


def test_the_verdict_shows_auto_approved_refunds_where_there_are_some():
    from sim.html_report import _verdict

    summary = pd.DataFrame({"queue": ["chat", "refunds"], "channel": ["chat", "refund"], "offered": [100.0, 50.0],
                            "service_level": [0.85, 0.6], "service_level_ci95": [0.02, 0.05],
                            "sl_target": [0.8, 0.9], "p_meets_sl": [1.0, 0.0], "abandon_rate": [0.05, 0.0],
                            "asa_s": [12.0, 30000.0], "auto_approved": [0.0, 7.0],
                            "auto_approved_value": [0.0, 1234.0]})
    verdict = _verdict(summary)
    assert verdict["columns"][-2:] == ["auto-approved", "auto-approved value"]
    chat, refunds = verdict["rows"]
    assert [chat[3]["css"], refunds[3]["css"]] == ["good", "bad"]
    assert refunds[7]["text"] == "8.3 h" and refunds[8]["text"] == "7" and refunds[9]["value"] == 1234.0
    assert "auto-approved" not in _verdict(summary.assign(auto_approved=0.0))["columns"]
    assert chat[7]["text"] == "12.0 s"                # each channel's wait unit
