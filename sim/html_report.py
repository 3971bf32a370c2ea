"""``report.html``: a self-contained page for a results folder, built from the tables and plots the folder
holds (so ``run.py report DIR`` rebuilds it from saved tables alone). Each kind of folder (``KINDS``: run,
compare, sweep, staffing, roster, calibration, back-test) is known by a file it holds and adds its
sections; a fit report with its back-test shows both. Jinja2 template in ``sim/templates``; plots inline
as base64 PNG, the glyphs of its Chinese text as an embedded font; tables sort on a header click; no
network, opens from the file system.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jinja2

from sim.fonts import glyphs_for
from sim.outputs import WARNINGS
from sim.pages import compare, fits, roster, run, staffing, sweep

REPORT = "report.html"
_TEMPLATES = jinja2.Environment(loader=jinja2.PackageLoader("sim", "templates"),
                                autoescape=jinja2.select_autoescape(["html", "j2"]), undefined=jinja2.StrictUndefined)


class NotResults(ValueError):
    """The folder holds no results a page can be built from."""


@dataclass(frozen=True)
class Kind:
    """A kind of results folder: the file that marks it (a glob, or ``holds`` where a glob cannot tell),
    what its page is called, its sections.
    """

    name: str
    marker: str
    heading: str
    sections: Callable[[Path], list[dict]]
    holds: Callable[[Path], bool] | None = None

    def found_in(self, directory: Path) -> bool:
        return self.holds(directory) if self.holds else next(directory.glob(self.marker), None) is not None


KINDS = (Kind("run", "summary.csv", "simulation results", run.sections),
         Kind("compare", "VARIANT_totals.csv", "paired comparison", compare.sections,
              holds=lambda out: bool(compare.variants(out))),
         Kind("sweep", "sweep.csv", "sweep", sweep.sections),
         Kind("staffing", "staffing_summary.csv", "staffing", staffing.sections),
         Kind("roster", "roster_search.csv", "least-cost roster", roster.sections),
         Kind("calibration", "parameters.csv", "calibration", fits.calibration),
         Kind("backtest", "backtest_errors.csv", "back-test", fits.backtest))


def kinds_of(directory: Path) -> list[Kind]:
    """The kinds of results ``directory`` holds."""
    return [kind for kind in KINDS if kind.found_in(directory)]


def write_report(directory: str | Path) -> Path:
    """Build ``report.html`` in a results folder from its saved tables and plots."""
    out = Path(directory)
    found = kinds_of(out)
    if not found:
        raise NotResults(f"{out}: no results here (none of {', '.join(k.marker for k in KINDS)})")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8")) if (out / "manifest.json").is_file() \
        else None
    details = [(name, (out / name).read_text(encoding="utf-8")) for name in ("scenario.yaml", "roster.yaml")
               if (out / name).is_file()]
    if manifest is not None:
        details.append(("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False)))
    name = manifest.get("base", manifest)["scenario"] if manifest else out.name
    warnings = (out / WARNINGS).read_text(encoding="utf-8").splitlines() if (out / WARNINGS).is_file() else []
    page = _render("page.html.j2", title=f"{name}: {' and '.join(k.heading for k in found)}",
                   subtitle=_provenance(manifest), warnings=warnings,
                   sections=[s for k in found for s in k.sections(out)], details=details)
    path = out / REPORT
    path.write_text(page, encoding="utf-8")
    return path


def _provenance(manifest: dict | None) -> str:
    """Replications, seed, version, commit and date of a run (or a comparison's base)."""
    if manifest is None:
        return ""
    run = manifest.get("base", manifest)
    return (f"{run['replications']} replications, seed {run['seed']}, version {run['version']}, "
            f"commit {str(run.get('git_commit') or 'unknown')[:10]}, run {run['created']}")


def _render(template: str, **values) -> str:
    """The page, with the glyphs of its Chinese text embedded (``sim.fonts.glyphs_for``) for browsers on
    machines without a CJK font.
    """
    page = _TEMPLATES.get_template(template).render(cjk_font=None, **values)
    glyphs = glyphs_for(page)
    return page if glyphs is None else _TEMPLATES.get_template(template).render(
        cjk_font=base64.b64encode(glyphs).decode("ascii"), **values)


def attempt(directory: str | Path) -> Path | None:
    """``write_report``, never failing the command: an error is reported on stderr and the tables stay."""
    try:
        return write_report(directory)
    except Exception as exc:  # noqa: BLE001 - whatever breaks the page must not lose the results
        print(f"warning: {REPORT} was not written ({type(exc).__name__}: {exc}); the tables are "
              "written", file=sys.stderr)
        return None
