"""Interpreter settings for the worker process: its batches allocate millions of objects, its commit runs beside.

Two CPython defaults together cost the worker about a tenth of its throughput (`bench/README.md`, 1,000,000 events):

- **The cyclic garbage collector.** By default it runs a young collection every 700 new container objects, and
  every so often a full one over everything alive: the unit states, the catalog. A batch of 200,000 events
  allocates millions of short-lived objects (records, rows, parameters) with no reference cycles among them.
  :func:`tune` freezes what is alive at start (the catalog, the modules: never collected again) and starts a
  young collection every 50,000 objects instead.
- **The switch interval.** A thread that wants the interpreter waits up to 5 ms for the one holding it. The
  commit thread (:mod:`streams.committer`) needs it for a moment after each answer of the database, dozens of
  times per commit, while the event loop holds it for seconds; at 0.5 ms the commit goes on sooner.
"""

from __future__ import annotations

import gc
import sys
from typing import Final

YOUNG_THRESHOLD: Final = 50_000
"""New container objects between two young collections (CPython's default: 700)."""

OLDER_THRESHOLDS: Final = (20, 20)
"""Young collections per middle one, middle per full one (CPython's default: 10, 10)."""

SWITCH_INTERVAL: Final = 0.0005
"""Seconds a thread may hold the interpreter while another waits for it (CPython's default: 0.005)."""


def tune() -> None:
    """Apply the settings above; call it once, after start-up, before the first batch."""
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
    sys.setswitchinterval(SWITCH_INTERVAL)
