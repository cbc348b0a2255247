"""``simulator``: every metric of the catalog for every unit, from :mod:`connectors.simulator`.

Options::

    seed: 2023            # unit profiles are drawn from it: the same seed gives the same numbers
    mode: live            # live: the real clock; replay-2023: 1 January 2023 → 30 June 2023 (H1)
    speed: 1              # simulated seconds per real second (replay); 86400 replays a day each second
    start: null           # replay start (ISO time); default 2023-01-01 00:00 local for replay-2023
    until: null           # replay end; default 2023-06-30 23:59:59 local for replay-2023
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from connectors.base import Batch, parse_options
from connectors.checkpoint import Checkpoint
from connectors.config import SourceConfig
from connectors.simulator import H1_END, Simulation
from index_engine.catalog import Catalog
from index_engine.periods import period_bounds


class SimulatorOptions(BaseModel):
    """Options of a ``simulator`` source."""

    model_config = ConfigDict(extra="forbid")

    seed: int = 2023
    mode: Literal["live", "replay-2023"] = "live"
    speed: float = Field(1.0, gt=0)
    start: dt.datetime | None = None
    until: dt.datetime | None = None


class SimulatorConnector:
    """Produces the simulation at the (possibly accelerated) simulated time."""

    def __init__(self, config: SourceConfig, catalog: Catalog) -> None:
        self.config = config
        self.options = parse_options(config, SimulatorOptions)
        self.simulation = Simulation(catalog, self.options.seed)
        replay = self.options.mode == "replay-2023"
        self.start = self.options.start or (period_bounds(2023)[0] if replay else None)
        self.until = self.options.until or (H1_END if replay else None)
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
