"""Scenario files that would hang or exhaust memory are refused at once, with the file named."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

import sim
from sim.cli import main
from sim.files import MAX_VALUES, MAX_YAML_BYTES

ROOT = Path(__file__).resolve().parent.parent
NORMAL_DAY = (ROOT / "scenarios" / "normal_day.yaml").read_text()


def anchor_bomb(levels: int = 8) -> str:
    """A profile of 9**levels zeros written in a few lines of anchors and aliases."""
    names = "abcdefghij"
    lines = ["x-anchors:", "  a: &a [0, 0, 0, 0, 0, 0, 0, 0, 0]"]
    for i in range(1, levels):
        lines.append(f"  {names[i]}: &{names[i]} [" + ", ".join([f"*{names[i - 1]}"] * 9) + "]")
    return NORMAL_DAY.replace("name: normal_day", "name: normal_day\n" + "\n".join(lines)).replace(
        "profile: ecommerce_call}", f"profile: *{names[levels - 1]}}}")


def check(path: Path, capsys) -> tuple[int, str, float]:
    began = time.perf_counter()
    code = main(["check", str(path)])
    return code, capsys.readouterr().err, time.perf_counter() - began


def test_an_anchor_bomb_is_refused_in_a_second(tmp_path, capsys):
    """43 million values from eight lines: the error comes at once and short (it took 54-90 s and 450 MB)."""
    path = tmp_path / "bomb.yaml"
    path.write_text(anchor_bomb())
    code, err, seconds = check(path, capsys)
    assert code == 2 and seconds < 5
    assert err == f"{path}: expands to more than {MAX_VALUES:,} values (YAML anchors and aliases repeat their " \
                  f"content); a scenario needs far fewer\n"


def test_a_small_anchor_is_still_welcome(tmp_path, capsys):
    """Anchors that stay small are ordinary YAML: a shift written once and reused."""
    text = NORMAL_DAY.replace('      - {start: "08:00", end: "17:00", count: 6, breaks: [{at: "12:00", duration: 1h}]}',
                              '      - &day {start: "08:00", end: "17:00", count: 6, breaks: [{at: "12:00", '
                              'duration: 1h}]}', 1)
    text = text.replace('      - {start: "08:00", end: "17:00", count: 6, breaks: [{at: "12:00", duration: 1h}]}',
                        "      - *day")
    assert "*day" in text
    path = tmp_path / "anchors.yaml"
    path.write_text(text)
    assert check(path, capsys)[0] == 0


def test_a_huge_file_is_refused_before_parsing(tmp_path, capsys):
    path = tmp_path / "huge.yaml"
    path.write_text(NORMAL_DAY + "x: [" + ", ".join(["1.5"] * (MAX_YAML_BYTES // 4)) + "]\n")
    code, err, seconds = check(path, capsys)
    assert code == 2 and seconds < 5
    assert err.startswith(f"{path}: ") and "too large for a scenario" in err


@pytest.mark.parametrize("depth", [200, 5000])
def test_deep_nesting_is_an_error_not_a_crash(tmp_path, capsys, depth):
    path = tmp_path / "deep.yaml"
    path.write_text("name: " + "[" * depth + "]" * depth + "\n")
    code, err, _ = check(path, capsys)
    assert code == 2 and err.startswith(f"{path}: ") and "Traceback" not in err


def test_long_values_are_cut_in_messages(tmp_path, capsys):
    data = yaml.safe_load(NORMAL_DAY)
    data["queues"]["hotline"]["arrivals"]["profile"] = [[0] * 1000] * 24
    path = tmp_path / "long.yaml"
    path.write_text(yaml.safe_dump(data))
    code, err, _ = check(path, capsys)
    assert code == 2 and max(len(line) for line in err.splitlines()) < 250


def test_a_scenario_remembers_where_it_came_from():
    path = ROOT / "scenarios" / "normal_day.yaml"
    sc = sim.load_scenario(path, overrides={"seed": 3})
    assert sc.source == str(path) and sc.overrides == {"seed": 3}
    assert sc == sim.load_scenario(yaml.safe_load(path.read_text()) | {"seed": 3})     # equal values
    assert sim.load_scenario({**yaml.safe_load(NORMAL_DAY)}, label="mine").source == "mine"


def test_a_windows_notepad_file_with_a_byte_order_mark_loads(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(NORMAL_DAY.encode("utf-8-sig"))
    assert sim.load_scenario(path).name == "normal_day"


def test_bad_csv_inputs_are_named(tmp_path):
    data = yaml.safe_load(NORMAL_DAY)
    (tmp_path / "binary.csv").write_bytes(bytes(range(256)) * 4)
    data["queues"]["hotline"]["arrivals"]["profile"] = "binary.csv"
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(sim.ScenarioError) as err:
        sim.load_scenario(path)
    assert f"queues.hotline.arrivals.profile: {tmp_path / 'binary.csv'} is not UTF-8 text" in str(err.value)


@pytest.mark.parametrize("cv", [1e-300, 1e-9])
def test_a_day_to_day_cv_too_small_to_matter_is_no_noise(cv):
    """A gamma of shape 1/cv² overflowed (or divided by zero) for a cv of 1e-300: below 1e-6 it is none."""
    from tests.conftest import single_queue

    data = single_queue(load=5.0, days=2)
    data["queues"]["q"]["arrivals"]["day_to_day_cv"] = cv
    base = sim.simulate(sim.load_scenario(single_queue(load=5.0, days=2)), replications=2, seed=1)
    tiny = sim.simulate(sim.load_scenario(data), replications=2, seed=1)
    assert tiny.totals["offered"].tolist() == base.totals["offered"].tolist()


def test_values_no_shop_means_are_named_or_run():
    """A day-to-day cv above 10 is refused by key; conversations of endless rounds (a mean of 1e300: the
    draws overflowed) run, each holding its slot to the end."""
    from tests.conftest import single_queue
    from tests.test_ceilings import conversation_chats

    data = single_queue(load=5.0)
    data["queues"]["q"]["arrivals"]["day_to_day_cv"] = 1e200
    with pytest.raises(sim.ScenarioError, match="day_to_day_cv: input should be less than or equal to 10"):
        sim.load_scenario(data)
    chats = conversation_chats({"dist": "exponential", "mean": 30})
    chats["queues"]["q"]["conversation"]["rounds"] = {"dist": "lognormal", "mean": 1e300, "cv": 20}
    res = sim.simulate(sim.load_scenario(chats), replications=1, workers=1)
    assert res.totals["answered"].iloc[0] > 0
