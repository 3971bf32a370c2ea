"""Contacts created during a run get their attributes as ``sim.contacts.ATTRIBUTES`` declares: inherited
from their parent, drawn anew, set by the creation site or left at the default; one function creates them
all and refuses what the declaration does not ask for."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

import sim
from sim.arrivals import generate_demand
from sim.contacts import ATTRIBUTES, LATER_KINDS
from sim.engine import Model

ROOT = Path(__file__).resolve().parent.parent


def _example(name: str) -> dict:
    return yaml.safe_load((ROOT / "scenarios" / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def created() -> dict[str, tuple]:
    """Contacts of runs with retrials and redials (double11_plan, with customer classes), escalations
    (every level) and repeats in the same queue (double11_refunds, one refund in five coming back) and in
    another."""
    plan = _example("double11_plan.yaml")
    for queue in ("hotline", "payment_reminders"):              # so that inheriting a class shows
        plan["queues"][queue]["classes"] = [{"name": "88vip", "share": 0.4}]
    refunds = _example("double11_refunds.yaml")
    refunds["horizon"] = "3d"
    refunds["queues"]["refund_requests"]["repeat"] = {"probability": 0.2,
                                                      "delay": {"dist": "exponential", "mean": "2h"}}
    refunds["queues"]["refund_review"]["repeat"] = {"probability": 0.3, "to": "aftersales_chat",
                                                    "delay": {"dist": "exponential", "mean": "1h"}}
    runs = {}
    for name, data in (("plan", plan), ("refunds", refunds)):
        res = sim.simulate(sim.load_scenario(data), replications=1, seed=3, workers=1, record_contacts=True)
        runs[name] = res.contacts.reset_index(drop=True), res.scenario
    return runs


def test_every_attribute_declares_each_kind():
    for attribute in ATTRIBUTES:
        assert len(attribute.later) == len(LATER_KINDS) and set(attribute.later) <= set("ids-"), attribute.name
        assert {attribute.given_to(kind) for kind in LATER_KINDS} <= {"inherit", "draw", "set", "default"}


def test_retrials_and_redials_inherit_what_they_declare(created):
    c, _ = created["plan"]
    later = c[c["attempt"] > 0]
    first = c.loc[later["caller"].to_numpy()]
    retrials, redials = (later["dial"] == "").to_numpy(), (later["dial"] != "").to_numpy()   # "": not dialled
    assert retrials.sum() > 50 and redials.sum() > 50
    assert set(later["customer_class"]) == {"88vip", "others"}
    for name in ("customer_class", "level"):        # a retrial inherits both; a redial the class
        inherits = [kind for kind in ("retrial", "redial")
                    if next(a for a in ATTRIBUTES if a.name == name).given_to(kind) == "inherit"]
        for kind, rows in (("retrial", retrials), ("redial", redials)):
            same = (later[name].to_numpy()[rows] == first[name].to_numpy()[rows]).all()
            assert same if kind in inherits else (later[name].to_numpy()[rows] == "").all(), (name, kind)
    assert (later["wrap_s"].to_numpy()[retrials] == 0).all()        # declared "default": no wrap-up draw


def test_follow_ups_and_repeats_inherit_what_they_declare(created):
    c, _ = created["refunds"]
    follow_ups = c[c["origin"] >= 0]
    origin = c.loc[follow_ups["origin"].to_numpy()]
    assert len(follow_ups) > 100
    np.testing.assert_array_equal(follow_ups["level"].to_numpy(), origin["level"].to_numpy())
    np.testing.assert_array_equal(follow_ups["amount"].to_numpy(), origin["amount"].to_numpy())
    repeats = c[c["repeat_of"] >= 0]
    parent = c.loc[repeats["repeat_of"].to_numpy()]
    same = (repeats["queue"].to_numpy() == parent["queue"].to_numpy())
    assert same.sum() > 20 and (~same).sum() > 5
    np.testing.assert_array_equal(repeats["level"].to_numpy()[same], parent["level"].to_numpy()[same])
    assert (repeats["level"].to_numpy()[~same] == "").all()           # set: none in another queue


def test_the_creation_function_refuses_what_the_declaration_does_not_ask_for():
    sc = sim.load_scenario(_example("double11.yaml"))
    model = Model(sc, generate_demand(sc, 0, 1))
    with pytest.raises(ValueError, match="a retrial draws"):
        model.later.create("retrial", 0, {}, time=1.0, queue=0, attempt=1, first_call=0)
    drawn = {"patience": 60.0, "retry": 0, "retry_delay": np.nan, "balks": 0, "repeats": 0, "repeat_delay": np.nan}
    with pytest.raises(ValueError, match="is given"):
        model.later.create("retrial", 0, drawn, time=1.0, queue=0, attempt=1, first_call=0, level=2)
    j = model.later.create("retrial", 0, drawn, time=1.0, queue=0, attempt=1, first_call=0)
    assert model.columns["work"][j] == model.columns["work"][0] and model.columns["patience"][j] == 60.0
