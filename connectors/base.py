"""The contract every connector type implements, and what one poll returns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError
from typing_extensions import TypeIs

from connectors.checkpoint import Checkpoint
from connectors.config import Produces, SourceConfig
from connectors.errors import ConfigError, ConnectorError, SourceResponseInvalid
from connectors.mapping import Mapped
from index_engine.observation import Observation
from index_engine.task_report import TaskReport


@dataclass
class Batch:
    """What one poll read: observations to produce and the checkpoint to save once the broker acknowledged them.

    ``rejected`` lists records or files that were set aside (logged, never produced; the poll counts as one
    failure, of the first one's class); a source that ``produces`` task reports puts them in ``task_reports``;
    ``warnings`` are logged; ``after_produced`` runs once the observations are acknowledged and the checkpoint
    saved (a file drop moves its files then).
    """

    observations: list[Observation]
    checkpoint: Checkpoint
    newest: dt.datetime | None = None
    rejected: list[SourceResponseInvalid] = field(default_factory=list)
    not_modified: bool = False
    after_produced: Callable[[], Awaitable[None]] | None = None
    warnings: list[str] = field(default_factory=list)
    task_reports: list[TaskReport] = field(default_factory=list)
    produces: Produces = "observations"

    @classmethod
    def of(cls, mapped: Mapped, checkpoint: Checkpoint) -> Batch:
        """A batch of mapped records that must all be good: the first rejected record fails the whole poll."""
        if mapped.rejected:
            first = mapped.rejected[0]
            more = len(mapped.rejected) - 1
            if more:
                first.args = (f"{first.args[0]} (and {more} more rejected records)",)
            raise first
        return cls(mapped.observations, checkpoint, mapped.newest)


class Connector(Protocol):
    """A source that is polled: read what is new since ``checkpoint``, without producing or saving anything."""

    config: SourceConfig

    async def poll(self, checkpoint: Checkpoint, now: dt.datetime) -> Batch:
        """Read the source once; raise a ConnectorError subclass when it cannot be read or mapped."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


Emit = Callable[[Batch], Awaitable[int]]
Report = Callable[[ConnectorError], None]


class PushConnector(Protocol):
    """A source that pushes (webhook): serves until ``stop`` is set, handing each accepted batch to ``emit``."""

    config: SourceConfig

    async def serve(
        self, checkpoint: Checkpoint, emit: Emit, report: Report, stop: Callable[[], Awaitable[object]]
    ) -> None:
        """Serve requests until ``stop()`` returns; ``report`` logs and counts a refused request."""
        ...


def is_polled(connector: Connector | PushConnector) -> TypeIs[Connector]:
    """Whether a connector is polled (rather than pushed to)."""
    return hasattr(connector, "poll")


_M = TypeVar("_M", bound=BaseModel)


def parse_options(config: SourceConfig, model: type[_M]) -> _M:
    """Validate a source's type-specific ``options`` with errors naming the file and field."""
    try:
        return model.model_validate(config.options)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(["options", *(str(p) for p in first["loc"])])
        raise ConfigError(config.file.rsplit("/", 1)[-1], first["msg"], field=where) from None


def secret(config: SourceConfig, env: Mapping[str, str], name: str) -> str:
    """The value of the environment variable ``name``; a ConfigError naming the variable (never a value)."""
    value = env.get(name)
    if not value:
        raise ConfigError(config.file.rsplit("/", 1)[-1], f"environment variable {name} is not set", field="auth")
    return value


Options = dict[str, Any]
