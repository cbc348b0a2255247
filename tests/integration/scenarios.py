"""Known streams of observations and an independent oracle of the values they must produce."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal

from connectors.producer import ObservationProducer
from index_engine.catalog import load_catalog
from index_engine.observation import Observation
from streams.topics import Topics

CATALOG = load_catalog()
LOCALITIES = [u for u in CATALOG.children("QN") if CATALOG.units[u].peer_group == "locality"]
START = dt.datetime(2023, 6, 30, 1, 0, tzinfo=dt.UTC)
CQS04_LATEST = """
SELECT unit_code, numerator, denominator, round(value::numeric, 9)
  FROM dti.indicator_latest WHERE indicator_code = 'CQS-04' ORDER BY unit_code
"""


def dossier_stream(seed: int, steps: int, units: list[str] | None = None) -> list[Observation]:
    """Cumulative dossier counts for each unit at ``steps`` times ten minutes apart: growing totals."""
    rng = random.Random(seed)
    result = []
    for unit in units or LOCALITIES:
        processed = online = 0
        for step in range(steps):
            processed += rng.randint(50, 400)
            online = min(processed, online + rng.randint(40, 380))
            ts = START + dt.timedelta(minutes=10 * step)
            for metric, value in (("dossier.processed", processed), ("dossier.processed_online", online)):
                result.append(
                    Observation(
                        id=f"test:{unit}:{metric}:{step}",
                        source="test",
                        metric=metric,
                        unit=unit,
                        ts=ts,
                        kind="cumulative",
                        value=float(value),
                    )
                )
    return result


def cqs04_oracle(observations: list[Observation]) -> list[tuple[object, ...]]:
    """Rows ``CQS04_LATEST`` must return: newest value per unit and metric, the province from summed counts."""
    newest: dict[tuple[str, str], Observation] = {}
    for obs in observations:
        key = (obs.unit, obs.metric)
        if key not in newest or obs.ts > newest[key].ts:
            newest[key] = obs
    rows: dict[str, tuple[float, float]] = {}
    for unit in {u for u, _ in newest}:
        rows[unit] = (newest[(unit, "dossier.processed_online")].value, newest[(unit, "dossier.processed")].value)
    rows["QN"] = (sum(n for n, _ in rows.values()), sum(d for _, d in rows.values()))
    return [(unit, num, den, sql_round(num / den * 100, 9)) for unit, (num, den) in sorted(rows.items())]


def sql_round(value: float, places: int) -> Decimal:
    """``value`` rounded as PostgreSQL's ``round(numeric, places)`` does: halves away from zero."""
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def produce(bootstrap: str, topics: Topics, observations: list[Observation]) -> None:
    """Produce and wait until the broker acknowledged every observation."""

    async def send() -> None:
        producer = ObservationProducer(bootstrap, topics.observations)
        await producer.start()
        try:
            await producer.send(observations)
        finally:
            await producer.stop()

    asyncio.run(send())
