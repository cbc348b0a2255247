"""``simulator``: every metric of the catalog for every unit, from :mod:`connectors.simulator`.

Options::

    seed: 2023            # unit profiles are drawn from it: the same seed gives the same numbers
    mode: live            # live: the real clock, on the map of the day; replay-2023: 1 January → 30 June 2023 (H1)
                          # on the 2023 map; replay-2025: 1 January → 31 July 2025, across the department mergers
                          # of 1 March and the 54-unit map of 1 July
    speed: 1              # simulated seconds per real second (replay); 86400 replays a day each second
    start: null           # replay start (ISO time); default: the scenario's first day, 00:00 local
    until: null           # replay end; default: the scenario's last second, local
    showcase: false       # true: a few units depart from the profile (data/simulator_showcase.csv) so that every
                          # status shows (achieved, on track, at risk, off track, stale); never in a replay
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from connectors.base import Batch, parse_options
from connectors.checkpoint import Checkpoint
from connectors.config import SourceConfig
from connectors.simulator import H1_END, SHOWCASE, Simulation
from index_engine.catalog import Catalog
from index_engine.periods import LOCAL_TZ, period_bounds

SCENARIOS: Final = {
    "replay-2023": (period_bounds(2023)[0], H1_END),
    "replay-2025": (period_bounds(2025)[0], dt.datetime(2025, 7, 31, 23, 59, 59, tzinfo=LOCAL_TZ)),
}
"""Replays: their first and last simulated moments."""


class SimulatorOptions(BaseModel):
    """Options of a ``simulator`` source."""

    model_config = ConfigDict(extra="forbid")

    seed: int = 2023
    mode: Literal["live", "replay-2023", "replay-2025"] = "live"
    speed: float = Field(1.0, gt=0)
    start: dt.datetime | None = None
    until: dt.datetime | None = None
    showcase: bool = False


class SimulatorConnector:
    """Produces the simulation at the (possibly accelerated) simulated time."""

    def __init__(self, config: SourceConfig, catalog: Catalog) -> None:
        self.config = config
        self.options = parse_options(config, SimulatorOptions)
        showcase = SHOWCASE if self.options.showcase and self.options.mode == "live" else None
        self.simulation = Simulation(catalog, self.options.seed, showcase=showcase)
        start, until = SCENARIOS.get(self.options.mode, (None, None))
        self.start = self.options.start or start
        self.until = self.options.until or until
        self._anchor: tuple[dt.datetime, dt.datetime] | None = None

    async def aclose(self) -> None:
        """Nothing to release."""

    def simulated_now(self, checkpoint: Checkpoint, now: dt.datetime) -> dt.datetime:
        """The simulated time of a poll at real time ``now``."""
        if self.start is None:
            return now
        if self._anchor is None:
            resumed = checkpoint.get("sim_ts")
            base = dt.datetime.fromisoformat(str(resumed)) if resumed else self.start
            self._anchor = (now, base)
        real, base = self._anchor
        simulated = base + (now - real) * self.options.speed
        if self.until is not None:
            simulated = min(simulated, self.until)
        return min(simulated, now)

    async def poll(self, checkpoint: Checkpoint, now: dt.datetime) -> Batch:
        """The simulated observations at the simulated time."""
        simulated = self.simulated_now(checkpoint, now).replace(microsecond=0)
        previous = dt.datetime.fromisoformat(str(checkpoint["sim_ts"])) if checkpoint.get("sim_ts") else None
        if previous is not None and simulated <= previous:
            return Batch([], checkpoint)  # a finished replay: nothing new
        observations = self.simulation.observations(simulated, previous)
        return Batch(observations, {**checkpoint, "sim_ts": simulated.isoformat()}, simulated)


def build(config: SourceConfig, catalog: Catalog, env: Mapping[str, str]) -> SimulatorConnector:
    """A ``simulator`` connector for ``config``."""
    return SimulatorConnector(config, catalog)
