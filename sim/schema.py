"""The JSON Schema of scenario files (``python run.py schema``), so editors complete and check scenario keys.

Generated from the same pydantic models that validate scenarios, so it cannot drift from them. It
checks shapes and names (unknown keys, types, spellings of durations and times of day); the checks
across keys (skills naming queues, shifts inside the horizon) are ``run.py check``'s.
"""

from __future__ import annotations

from sim.scenario import Scenario


def scenario_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a scenario file as YAML reads it."""
    schema = Scenario.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "ccsim scenario", **schema}
