"""Named random streams: one independent generator per (replication, name...) from one seed.

A stream is keyed by names, not by position, so adding a queue or a purpose never shifts the draws of
another; two variants of a scenario therefore see the same customers (common random numbers).
"""

from __future__ import annotations

import hashlib

import numpy as np


def _name_key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")


def stream(seed: int, replication: int, *names: str) -> np.random.Generator:
    """The generator for ``names`` (e.g. queue, purpose) in ``replication`` of a run seeded ``seed``.

    >>> a = stream(7, 0, "hotline", "arrivals").random()
    >>> a == stream(7, 0, "hotline", "arrivals").random() != stream(7, 1, "hotline", "arrivals").random()
    True
    """
    key = (replication, *(_name_key(n) for n in names))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))
