"""Revisions: how a connector marks a corrected figure so that a later report replaces an earlier one.

A *figure* is what a mapped record says about one unit, metric and time (its id without a revision:
``<source>:<unit>:<metric>:<ts>``, or ``<source>:<record id>:<metric>``). Every observation a connector produces
carries a revision, a monotonic integer (milliseconds since the Unix epoch), and the id ``<figure>@<revision>``:

- reports (``file_drop``, ``qndti import``): the file's modification time, so a corrected file saved after the
  original wins, and reading the same file again gives the same ids;
- polled and pushed sources (``http_json``, ``sql``, ``webhook``): the time of the poll or delivery, kept in the
  checkpoint with the value of every recent figure, so an unchanged figure keeps its revision and id (a repeat,
  a no-op downstream) and only a changed value gets a new, higher one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Final

import msgspec

from connectors.checkpoint import Checkpoint
from index_engine.observation import Observation

MAX_FIGURES: Final = 5_000
"""Figures whose last value a source's checkpoint remembers (least recently seen forgotten first)."""

FIGURES: Final = "figures"
CLOCK: Final = "revision_clock"


def revision_at(moment: dt.datetime | float) -> int:
    """A revision from a time: whole milliseconds since the Unix epoch (``float`` = Unix seconds)."""
    seconds = moment.timestamp() if isinstance(moment, dt.datetime) else moment
    return int(seconds * 1000)


def revised(obs: Observation, revision: int) -> Observation:
    """``obs`` (whose id names its figure) at ``revision``, with the id ``<figure>@<revision>``."""
    return msgspec.structs.replace(obs, id=f"{obs.id}@{revision}", revision=revision)


def stamp(observations: Iterable[Observation], revision: int) -> list[Observation]:
    """Every observation at the same revision (the rows of one report file)."""
    return [revised(o, revision) for o in observations]


def remember(
    observations: Iterable[Observation], checkpoint: Checkpoint, now: dt.datetime
) -> tuple[list[Observation], Checkpoint]:
    """Revisions for a poll or delivery at ``now``, and the checkpoint that remembers them.

    A figure whose value is the one remembered keeps its revision; a new or changed figure gets the poll's
    revision, which is above every revision given before (even if the clock went back). Within one poll a
    figure given twice with different values gets a higher revision each time, in the order of the records.
    """
    figures: dict[str, list[float]] = {k: list(v) for k, v in dict(checkpoint.get(FIGURES, {})).items()}
    clock = int(checkpoint.get(CLOCK, 0))
    poll = max(revision_at(now), clock + 1)
    result: list[Observation] = []
    for obs in observations:
        known = figures.pop(obs.id, None)
        if known is not None and known[0] == obs.value:
            revision = int(known[1])
        else:
            revision = poll if known is None else max(poll, int(known[1]) + 1)
        figures[obs.id] = [obs.value, revision]  # re-inserted: the most recently seen come last
        clock = max(clock, revision)
        result.append(revised(obs, revision))
    if len(figures) > MAX_FIGURES:
        figures = dict(list(figures.items())[-MAX_FIGURES:])
    return result, {**checkpoint, FIGURES: figures, CLOCK: clock}
