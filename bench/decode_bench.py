"""decode: Observation v1 decode + validate per message, against stdlib ``json.loads`` + the same checks by hand.

Both paths read the same valid messages and apply the same rules (schema, aware timestamp, not in the future,
finite value ≥ 0, known metric and unit, unit valid on the day, kind of the metric). Best of the repeats.

    python bench/decode_bench.py [--messages N] [--repeats R] [--json]
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from collections.abc import Callable
from typing import Any

import msgspec
from common import Result, emit, encoded, parser

from index_engine.catalog import Catalog, load_catalog
from index_engine.observation import FUTURE_TOLERANCE, Observation, decode_observation
from index_engine.periods import LOCAL_TZ

FIELDS = {"id": str, "source": str, "metric": str, "unit": str, "ts": str, "kind": str}


def by_hand(raw: bytes, catalog: Catalog, now: dt.datetime) -> dict[str, Any]:
    """The anchor: ``json.loads`` and the same validation written with the standard library."""
    doc = json.loads(raw)
    if not isinstance(doc, dict):
        raise ValueError("schema")
    for name, kind in FIELDS.items():
        if not isinstance(doc.get(name), kind):
            raise ValueError("schema")
    value = doc.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("schema")
    if doc["kind"] not in ("delta", "cumulative", "gauge") or not doc["id"] or not doc["source"]:
        raise ValueError("schema")
    ts = dt.datetime.fromisoformat(doc["ts"])
    if ts.tzinfo is None or ts > now + FUTURE_TOLERANCE:
        raise ValueError("timestamp")
    if not math.isfinite(value) or value < 0:
        raise ValueError("bad_value")
    metric = catalog.metrics.get(doc["metric"])
    unit = catalog.units.get(doc["unit"])
    if metric is None or unit is None or metric.kind != doc["kind"]:
        raise ValueError("catalog")
    if not unit.valid_on(ts.astimezone(LOCAL_TZ).date()):
        raise ValueError("unit_not_valid")
    doc["ts"], doc["value"] = ts, float(value)
    return doc


def timed(decode: Callable[[bytes, Catalog, dt.datetime], object], messages: list[bytes], catalog: Catalog) -> float:
    """Seconds of CPU to decode every message once."""
    now = dt.datetime.now(dt.UTC)
    started = time.process_time()
    for raw in messages:
        decode(raw, catalog, now)
    return time.process_time() - started


def parse_only(parse: Callable[[bytes], object]) -> Callable[[bytes, Catalog, dt.datetime], object]:
    """A parser alone, without validation, timed like the full paths: the floor under each of them."""
    return lambda raw, catalog, now: parse(raw)


def run(messages: int = 200_000, repeats: int = 5) -> Result:
    """Decode ``messages`` messages with both paths, best of ``repeats``."""
    catalog = load_catalog()
    raws = [value for _, value in encoded(catalog, messages)]
    ours = min(timed(decode_observation, raws, catalog) for _ in range(repeats))
    anchor = min(timed(by_hand, raws, catalog) for _ in range(repeats))
    # Parsing alone (msgspec into the Observation struct, json.loads into a dict) bounds what the ratio can reach.
    typed = msgspec.json.Decoder(Observation).decode
    msgspec_only = min(timed(parse_only(typed), raws, catalog) for _ in range(repeats))
    json_only = min(timed(parse_only(json.loads), raws, catalog) for _ in range(repeats))
    return Result(
        name="decode",
        value=messages / ours,
        unit="messages/CPU-s",
        anchor="json.loads + hand validation",
        anchor_value=messages / anchor,
        goal=">= 8x the anchor",
        met=anchor / ours >= 8,
        details={
            "messages": messages,
            "repeats": repeats,
            "decode_observation_us": ours / messages * 1e6,
            "anchor_us": anchor / messages * 1e6,
            "message_bytes_avg": sum(map(len, raws)) / messages,
            "msgspec_decode_only_us": msgspec_only / messages * 1e6,
            "json_loads_only_us": json_only / messages * 1e6,
            "ratio_ceiling_without_validation": anchor / msgspec_only,
        },
    )


if __name__ == "__main__":
    p = parser(__doc__)
    p.add_argument("--messages", type=int, default=200_000)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    emit(run(args.messages, args.repeats), args.json)
