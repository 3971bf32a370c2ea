"""House style: ruff (lint, docstrings, imports) is part of the test suite."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is installed with the [test] extra")
def test_ruff_is_clean():
    proc = subprocess.run(["ruff", "check", "sim", "calibration", "tests", "benchmarks", "run.py"], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
