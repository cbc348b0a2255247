"""Observation v1: the public record connectors produce to ``qndti.observations``.

``decode_observation`` turns the bytes of one Kafka message into a validated :class:`Observation` or raises
:class:`~index_engine.errors.InvalidObservation` with a stable reason code, which the worker puts on the
dead-letter topic next to the original bytes.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from typing import Annotated, Final, Literal

import msgspec

from index_engine.catalog import Catalog
from index_engine.errors import InvalidObservation
from index_engine.periods import LOCAL_TZ

Kind = Literal["delta", "cumulative", "gauge"]
# Constraints the decoder checks on the wire (in C); `validate` checks the same on observations built in Python.
NonEmpty = Annotated[str, msgspec.Meta(min_length=1)]
Aware = Annotated[dt.datetime, msgspec.Meta(tz=True)]
Count = Annotated[float, msgspec.Meta(ge=0, le=sys.float_info.max)]
Revision = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]  # fits PostgreSQL bigint

MAX_BYTES: Final = 4096
"""Largest accepted message; a real observation is about 200 bytes."""

FUTURE_TOLERANCE: Final = dt.timedelta(minutes=5)
"""How far ahead of the worker's clock ``ts`` may be (clock skew between sources and the worker)."""

REASONS: Final = (
    "too_large",
    "bad_encoding",
    "malformed_json",
    "schema",
    "naive_timestamp",
    "future_timestamp",
    "bad_value",
    "unknown_metric",
    "unknown_unit",
    "unit_not_valid",
    "kind_mismatch",
)
"""Every reason code a rejection can carry."""


class Observation(msgspec.Struct, frozen=True, kw_only=True, gc=False, omit_defaults=True):
    """One count from a source system for one metric and unit at one time.

    ``revision`` is optional (absent means 0, and 0 is not written): a correction of a figure (same source, unit,
    metric and ``ts``) carries a higher revision than the figure it corrects, and its own ``id``.
    """

    id: NonEmpty
    source: NonEmpty
    metric: str
    unit: str
    ts: Aware
    kind: Kind
    value: Count
    revision: Revision = 0


_decoder: Final = msgspec.json.Decoder(Observation)
_encoder: Final = msgspec.json.Encoder()


def encode_observation(observation: Observation) -> bytes:
    """Serialise an observation as Observation v1 JSON (UTF-8)."""
    return _encoder.encode(observation)


def decode_observation(raw: bytes, catalog: Catalog, now: dt.datetime) -> Observation:
    """Decode and validate one message; ``now`` is the aware current time used for the future check."""
    if len(raw) > MAX_BYTES:
        raise InvalidObservation("too_large", f"{len(raw)} bytes is more than the limit of {MAX_BYTES}")
    try:
        obs = _decoder.decode(raw)
    except UnicodeDecodeError as exc:
        raise InvalidObservation("bad_encoding", f"not UTF-8: {exc.reason} at byte {exc.start}") from None
    except msgspec.ValidationError as exc:
        raise _rejection(exc) from None
    except msgspec.DecodeError as exc:
        # Bytes that are not UTF-8 outside a string show up as a syntax error: name the real cause.
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as bad:
            raise InvalidObservation("bad_encoding", f"not UTF-8: {bad.reason} at byte {bad.start}") from None
        raise InvalidObservation("malformed_json", str(exc)) from None
    return _check_context(obs, catalog, now)


def _rejection(exc: msgspec.ValidationError) -> InvalidObservation:
    """Name the reason of a failed wire constraint as :func:`validate` would."""
    text = str(exc)
    if text.endswith("`$.ts`") and "timezone" in text:
        return InvalidObservation("naive_timestamp", f"ts has no UTC offset ({text})")
    if text.endswith("`$.value`") and not text.startswith("Expected `float`, got"):
        return InvalidObservation("bad_value", f"value is not a finite number ≥ 0 ({text})")
    return InvalidObservation("schema", text)


def validate(obs: Observation, catalog: Catalog, now: dt.datetime) -> Observation:
    """Check an observation's values against the catalog and the clock."""
    if not obs.id or not obs.source:
        raise InvalidObservation("schema", "id and source must not be empty")
    if obs.ts.tzinfo is None:
        raise InvalidObservation("naive_timestamp", f"ts {obs.ts.isoformat()} has no UTC offset")
    if not math.isfinite(obs.value) or obs.value < 0:
        raise InvalidObservation("bad_value", f"value {obs.value!r} is not a finite number ≥ 0")
    if type(obs.revision) is not int or not 0 <= obs.revision < 2**63:
        raise InvalidObservation("schema", f"revision {obs.revision!r} is not an integer from 0 to 2^63 - 1")
    return _check_context(obs, catalog, now)


def _check_context(obs: Observation, catalog: Catalog, now: dt.datetime) -> Observation:
    """The checks no schema can make: the clock and the catalog."""
    if obs.ts > now + FUTURE_TOLERANCE:
        raise InvalidObservation("future_timestamp", f"ts {obs.ts.isoformat()} is in the future")
    metric = catalog.metrics.get(obs.metric)
    if metric is None:
        raise InvalidObservation("unknown_metric", f"metric {obs.metric!r} is not in catalog {catalog.version}")
    unit = catalog.units.get(obs.unit)
    if unit is None:
        raise InvalidObservation("unknown_unit", f"unit {obs.unit!r} is not in catalog {catalog.version}")
    # Validity is judged on the local date. The date in ts's own offset is within a day of it, so a unit valid
    # the day before and the day after needs no time-zone conversion (the common case, on the hot path).
    day = obs.ts.date()
    if not (unit.valid_from < day and (unit.valid_to is None or day < unit.valid_to)):
        day = obs.ts.astimezone(LOCAL_TZ).date()
        if not unit.valid_on(day):
            raise InvalidObservation("unit_not_valid", _not_valid(catalog, obs.unit, day))
    if obs.kind != metric.kind:
        raise InvalidObservation("kind_mismatch", f"metric {obs.metric!r} is observed as {metric.kind}, not {obs.kind}")
    return obs


def _not_valid(catalog: Catalog, code: str, day: dt.date) -> str:
    """Why a unit cannot report on a local ``day``, naming its successors (or predecessors) to report for."""
    unit = catalog.units[code]
    span = f"valid {unit.valid_from} to {unit.valid_to or 'now'}"
    if day < unit.valid_from:
        others = ", ".join(s.predecessor for s in catalog.predecessors(code)) or "none"
        return f"unit {code!r} does not exist on {day} ({span}); predecessors: {others}"
    others = ", ".join(s.unit for s in catalog.successors(code)) or "none"
    return f"unit {code!r} does not exist on {day} ({span}); successors: {others}"
