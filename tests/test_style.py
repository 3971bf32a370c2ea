"""House style: ruff (lint, docstrings, imports) is part of the test suite."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_is_clean():
    """ruff comes with the [test] extra; run as a module, so it need not be on PATH."""
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "sim", "calibration", "tests", "benchmarks",
                           "run.py"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_project_stands_alone():
    """No tracked file points outside the repository (the brief's DOMAIN.md, ../shared): what the project
    relies on is in its own docs."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    if not files:
        pytest.skip("not a git checkout")
    outside = [name for name in files if name.endswith((".py", ".md", ".yaml", ".toml"))
               and any(ref in (ROOT / name).read_text(encoding="utf-8", errors="replace")
                       for ref in ("DOMAIN.md", "../shared", "DESIGN.md", "STYLE.md"))
               and name != "tests/test_style.py"]
    assert outside == []


def test_no_layer_compares_channel_names():
    """Channel behaviour is declared once (sim/channels.py); every other module asks the spec."""
    names = r"""["'](chat|call|refund|ticket|outbound)["']|\.channel (==|!=|in )"""
    proc = subprocess.run(["git", "grep", "-nE", names, "--", "sim", "calibration", ":!sim/channels.py"], cwd=ROOT,
                          capture_output=True, text=True)
    if proc.returncode == 128:
        pytest.skip("not a git checkout")
    assert proc.stdout == ""


def test_leaf_modules_do_not_load_the_engine():
    """Reading and checking a scenario loads neither SimPy, pandas nor Numba (nor the engine)."""
    code = ("import sys, sim.units, sim.kpis, sim.contacts, sim.channels\n"
            "from sim.scenario import load_scenario\n"
            "load_scenario('scenarios/double11.yaml')\n"
            "print(sorted(m for m in ('simpy', 'pandas', 'numba', 'sim.engine', 'scipy', 'matplotlib') "
            "if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_every_plot_comes_from_the_one_helper():
    """Plots share one style: figures are made by ``sim.report.figure`` (and saved by ``save_figure``), not
    by each module's own ``plt.subplots``."""
    own = [str(path.relative_to(ROOT)) for folder in ("sim", "calibration") for path in (ROOT / folder).rglob("*.py")
           if path != ROOT / "sim" / "report.py"
           and any(call in path.read_text(encoding="utf-8") for call in ("plt.subplots", "plt.figure", ".savefig("))]
    assert own == []


def test_the_channel_table_names_every_channel_and_its_own_keys():
    """docs/scenarios.md has a row per channel of ``sim.channels`` listing the keys it alone takes, and the
    sentence after the table the keys every channel takes."""
    from sim.channels import QUEUE_MODELS, QueueBase

    text = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` \|(?:[^|]*\|){3} ([^|]*) \|$", text, flags=re.MULTILINE))
    common = set(QueueBase.model_fields)
    for model in QUEUE_MODELS:
        own = set(model.model_fields) - common - {"channel", "sla"}
        assert model.spec.name in rows, f"docs/scenarios.md has no row for the {model.spec.name} channel"
        assert set(re.findall(r"`(\w+)`", rows.get(model.spec.name, ""))) == own, model.spec.name
    every = re.search(r"^Every channel takes (.*)\.$", text, flags=re.MULTILINE)[1]
    assert set(re.findall(r"`(\w+)`", every)) == common | {"sla"}
