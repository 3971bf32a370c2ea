"""Shared builders for small scenarios."""

from __future__ import annotations

import copy
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# HYPOTHESIS_PROFILE=thorough runs ten times more generated examples than CI does.
settings.register_profile("ci", max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=300, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def single_queue(*, channel="call", agents=10, aht=300.0, rate_per_s=None, load=None, patience=None,
                 concurrency=1, days=2, answer_within=20, handle=None) -> dict:
    """A flat-profile, single-queue, single-group scenario dict (rate in contacts/s or load in Erlangs)."""
    rate = rate_per_s if rate_per_s is not None else load / aht
    queue = {
        "channel": channel,
        "arrivals": {"daily_volume": rate * 86400, "profile": "flat"},
        "handle_time": handle or {"dist": "exponential", "mean": aht},
        "sla": {"answer_within": answer_within, "target": 0.8},
    }
    if patience is not None:
        queue["patience"] = {"dist": "exponential", "mean": patience}
    if channel == "ticket":          # judged on a first-reply deadline, which the threshold becomes
        queue["deadline"], queue["sla"] = answer_within, {"target": 0.8}
    return {
        "name": "single",
        "start": "2026-11-02T00:00:00",
        "horizon": f"{days}d",
        "interval": "1h",
        "seed": 5,
        "queues": {"q": queue},
        "groups": {"team": {"skills": ["q"], "concurrency": concurrency, "headcount": agents}},
    }


@pytest.fixture
def mixed_scenario() -> dict:
    """Two chat queues and a call queue, shifts with breaks, a multi-skilled group and a surge."""
    return copy.deepcopy(MIXED)


MIXED = {
    "name": "mixed",
    "start": "2026-11-10T00:00:00",
    "horizon": "1d",
    "interval": "30min",
    "seed": 3,
    "queues": {
        "chat_a": {"channel": "chat", "arrivals": {"daily_volume": 3000, "profile": "ecommerce_chat"},
                   "handle_time": {"dist": "lognormal", "mean": 300, "cv": 0.8},
                   "patience": {"dist": "exponential", "mean": 120}},
        "chat_b": {"channel": "chat", "arrivals": {"daily_volume": 1000, "profile": "ecommerce_chat"},
                   "handle_time": {"dist": "gamma", "mean": 400, "cv": 0.7}},
        "calls": {"channel": "call", "arrivals": {"daily_volume": 800, "profile": "ecommerce_call"},
                  "handle_time": {"dist": "exponential", "mean": 240},
                  "patience": {"dist": "lognormal", "mean": 90, "cv": 1.0}},
    },
    "surges": [{"start": "2026-11-10T20:00", "end": "2026-11-10T22:00", "multiplier": 3, "shape": "decay"}],
    "groups": {
        "chatters": {"skills": ["chat_a", "chat_b"], "concurrency": 3,
                     "shifts": [{"start": "00:00", "end": "12:00", "count": 5,
                                 "breaks": [{"at": "06:00", "duration": "30min"}]},
                                {"start": "11:00", "end": "02:00", "count": 6,
                                 "breaks": [{"at": "18:00", "duration": "45min"}]}]},
        "blended": {"skills": {"calls": 1.0, "chat_a": 0.7}, "concurrency": 2,
                    "shifts": [{"start": "08:00", "end": "20:00", "count": 4,
                                "breaks": [{"at": "12:00", "duration": "1h"}]}]},
        "phones": {"skills": ["calls"], "headcount": 2},
    },
}


def _checkout_state() -> str | None:
    """``git status`` of the checkout, ignored files included (None outside a git checkout)."""
    root = Path(__file__).resolve().parent.parent
    try:
        proc = subprocess.run(["git", "status", "--porcelain", "--ignored", "--untracked-files=all"], cwd=root,
                              capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    noise = ("__pycache__", ".pytest_cache", ".hypothesis", ".ruff_cache", ".egg-info", "numba_cache")
    return "\n".join(line for line in proc.stdout.splitlines() if not any(n in line for n in noise))


@pytest.fixture(scope="session", autouse=True)
def checkout_stays_clean():
    """Tests write to temporary folders only: the checkout (results/ included) is the same after the suite."""
    before = _checkout_state()
    yield
    after = _checkout_state()
    if before is not None and after != before:
        changed = sorted(set(after.splitlines()) ^ set(before.splitlines()))
        pytest.fail("the test suite changed the checkout:\n" + "\n".join(changed), pytrace=False)


@pytest.fixture(scope="session")
def result_folders(tmp_path_factory):
    """A results folder of every kind, with its report.html (``tests.pages.write_folders``); read only."""
    from tests.pages import write_folders

    return write_folders(tmp_path_factory.mktemp("pages"))
