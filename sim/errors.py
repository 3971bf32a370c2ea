"""The error a user's input raises: one line per problem, each naming the file, the key path and the value."""

from __future__ import annotations


class ScenarioError(Exception):
    """A scenario (or another input) that cannot be used; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))
