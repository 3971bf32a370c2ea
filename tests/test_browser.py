"""The results pages in a real browser: headless Chromium (the system's, driven by Playwright) opens each
kind of ``report.html`` (run, compare, sweep, staffing, roster, calibration, back-test) from the file
system; it loads with no console errors, every plot decodes, the numbers read back from the DOM are the
saved tables', Chinese names are in the DOM and drawn as glyphs (not boxes), nothing overflows 1280 px,
and a table sorts on a click of its header.

Without a Chromium these tests skip, unless ``SIM_REQUIRE_BROWSER`` is set (CI sets it: ``.ci/run``
installs the Debian ``chromium`` package first), when they fail.
"""

from __future__ import annotations

import os
import shutil

import pandas as pd
import pytest
import yaml

from sim.cli import main
from tests import pages
from tests.conftest import single_queue

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = next((p for p in (os.environ.get("CHROMIUM"), shutil.which("chromium"), shutil.which("chromium-browser"),
                             shutil.which("google-chrome")) if p), None)


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        if os.environ.get("SIM_REQUIRE_BROWSER"):
            pytest.fail("SIM_REQUIRE_BROWSER is set but no chromium is installed (apt-get install -y chromium)")
        pytest.skip("no chromium here (apt-get install -y chromium); CI runs these")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def run_page(tmp_path_factory):
    """A two-queue run with Chinese names, its folder and summary."""
    tmp = tmp_path_factory.mktemp("browser")
    data = single_queue(load=8.0, aht=300, patience=120, days=2)
    data["queues"] = {"售前咨询": data["queues"]["q"], "hotline": {**data["queues"]["q"]}}
    data["groups"] = {"售前组": {"skills": ["售前咨询"], "headcount": 10, "cost": {"per_hour": 30}},
                      "热线组": {"skills": ["hotline"], "headcount": 9}}
    (tmp / "s.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    out = tmp / "out"
    assert main(["run", str(tmp / "s.yaml"), "-r", "3", "--workers", "1", "--out", str(out)]) == 0
    return out, pd.read_csv(out / "summary.csv", encoding="utf-8-sig")


def _open(browser, path, width=1280):
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("requestfailed", lambda request: errors.append(f"failed: {request.url}"))
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    return page, errors


def test_the_run_page_loads_with_its_plots_and_no_errors(browser, run_page, tmp_path):
    out, _ = run_page
    page, errors = _open(browser, out / "report.html")
    images = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
    assert len(images) == 5 and all(done and w > 100 and h > 100 for done, w, h in images)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280          # no horizontal overflow
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert (tmp_path / "report.png").stat().st_size > 10_000
    assert errors == []


def test_the_verdict_in_the_dom_is_the_summary_table(browser, run_page):
    out, summary = run_page
    page, _ = _open(browser, out / "report.html")
    rows = page.evaluate("Array.from(document.querySelectorAll('#verdict tbody tr')).map(r => "
                         "Array.from(r.cells).map(c => [c.dataset.value, c.innerText, c.className]))")
    assert [r[0][1] for r in rows] == summary["queue"].tolist()
    for row, (_, expected) in zip(rows, summary.iterrows()):
        assert float(row[2][0]) == expected["offered"]
        assert float(row[3][0]) == pytest.approx(expected["service_level"], rel=1e-12)
        assert row[3][1].startswith(f"{expected['service_level']:.1%}")
        assert row[3][2] == ("good" if expected["service_level"] >= expected["sl_target"] else "bad")
        assert float(row[5][0]) == expected["p_meets_sl"]
        assert float(row[6][0]) == pytest.approx(expected["abandon_rate"], rel=1e-12)


def test_chinese_names_render_as_glyphs_not_boxes(browser, run_page):
    """The queue's name cell drawn as it is and drawn with private-use characters (which no font has, so
    they are boxes): the pictures differ, and the text is in the DOM."""
    out, _ = run_page
    page, _ = _open(browser, out / "report.html")
    cell = page.locator("#verdict td[data-value='售前咨询']")
    assert cell.inner_text() == "售前咨询"
    assert "售前组" in page.locator("#costs").inner_text()
    drawn = cell.screenshot()
    cell.evaluate("c => c.textContent = '\\ue000\\ue001\\ue002\\ue003'")
    assert cell.screenshot() != drawn


_COLUMN = """([table, header, foot]) => {
  const t = document.getElementById(table);
  const index = Array.from(t.tHead.rows[0].cells).findIndex(c => c.innerText === header);
  const rows = [...t.tBodies[0].rows, ...(foot && t.tFoot ? t.tFoot.rows : [])];   // foot: the totals too
  return rows.map(r => r.cells[index].dataset.value);
}"""


@pytest.mark.parametrize("kind", list(pages.CHECKS))
def test_every_kind_of_page_loads_with_the_saved_numbers(browser, result_folders, kind, tmp_path):
    folder = result_folders[kind]
    page, errors = _open(browser, folder / "report.html")
    images = page.evaluate("Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
    assert images and all(done and w > 100 and h > 100 for done, w, h in images)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    table, header, _, _ = pages.CHECKS[kind]
    shown = [float(v) for v in page.evaluate(_COLUMN, [table, header, True])]
    assert shown == pytest.approx(pages.expected(folder, kind), rel=1e-12) and shown
    assert pages.QUEUE in page.locator("body").inner_text()
    page.screenshot(path=str(tmp_path / f"{kind}.png"), full_page=True)
    assert (tmp_path / f"{kind}.png").stat().st_size > 10_000
    assert errors == []


def test_a_table_sorts_on_a_click_of_its_header(browser, run_page):
    out, _ = run_page
    page, errors = _open(browser, out / "report.html")
    header = page.locator("#days th", has_text="service level")
    header.click()
    rising = [float(v) for v in page.evaluate(_COLUMN, ["days", "service level"])]
    header.click()
    falling = [float(v) for v in page.evaluate(_COLUMN, ["days", "service level"])]
    assert rising == sorted(rising) and falling == sorted(rising, reverse=True) and len(rising) == 6
    page.locator("#costs th", has_text="group").click()          # the total stays below the sorted rows
    assert "all groups" not in page.evaluate(_COLUMN, ["costs", "group"])
    assert "all groups" in page.locator("#costs tfoot").inner_text()
    assert errors == []
