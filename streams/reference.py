"""Load the catalog's reference data into ``dti``: units, metrics, pillars, peer groups, indicators, targets.

Also weights, plans, successions and the lead unit of each indicator by day.

Upserts, so loading the same catalog twice changes nothing; targets, weights and completions that left the catalog
are deleted (the catalog is their only source). Catalog parts that an older catalog lacks (pillars, peer groups,
targets, weights, completions) load as empty, and pillars fall back to the indicators' pillar codes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import psycopg

from index_engine.catalog import Catalog

Conn = psycopg.Connection[tuple[object, ...]]


def _part(catalog: Catalog, name: str) -> Mapping[Any, Any]:
    """A catalog mapping that may not exist in every catalog version."""
    part = getattr(catalog, name, None)
    return part if isinstance(part, Mapping) else {}


def _upsert(conn: Conn, table: str, columns: Sequence[str], key: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """Insert or update ``rows``, touching only rows whose values differ."""
    if not rows:
        return
    names = ", ".join(columns)
    marks = ", ".join(["%s"] * len(columns))
    rest = [c for c in columns if c not in key]
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in rest)
    differs = " OR ".join(f"{table}.{c} IS DISTINCT FROM EXCLUDED.{c}" for c in rest)
    action = f"DO UPDATE SET {sets} WHERE {differs}" if rest else "DO NOTHING"
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT ({', '.join(key)}) {action}"  # noqa: S608
    with conn.cursor() as cur:
        cur.executemany(sql, rows)


def _prune(conn: Conn, table: str, key: Sequence[str], keep: list[tuple[Any, ...]]) -> None:
    """Delete the rows of ``table`` whose key is not in ``keep``."""
    columns = ", ".join(key)
    arrays = ", ".join(f"%s::{t}[]" for t in ("text", "text", "int4")[: len(key)])
    # Column-wise arrays, zipped by unnest: one statement whatever the number of rows kept.
    values = [list(column) for column in zip(*keep, strict=True)] if keep else [[] for _ in key]
    conn.execute(
        f"DELETE FROM {table} WHERE ({columns}) NOT IN (SELECT * FROM unnest({arrays}))",  # noqa: S608
        values,
    )


def load_reference(conn: Conn, catalog: Catalog) -> None:
    """Upsert the catalog into the reference tables of ``dti`` in one transaction."""
    units = [
        (
            u.code,
            u.name_vi,
            u.name_en,
            u.kind,
            u.parent,
            u.peer_group,
            u.valid_from,
            u.valid_to,
            getattr(u, "confidence", ""),
            getattr(u, "note", ""),
        )
        for u in catalog.units.values()
    ]
    metrics = [
        (m.code, m.kind, m.unit_of_measure, m.description_vi, m.description_en) for m in catalog.metrics.values()
    ]
    pillars = [(p.code, p.name_vi, p.name_en, getattr(p, "weight", None)) for p in _part(catalog, "pillars").values()]
    if not pillars:
        pillars = [(code, code, code, None) for code in dict.fromkeys(i.pillar for i in catalog.indicators.values())]
    peer_groups = [(g.code, g.name_vi, g.name_en, g.ranked) for g in _part(catalog, "peer_groups").values()]
    if not peer_groups:
        peer_groups = [(code, code, code, True) for code in dict.fromkeys(u.peer_group for u in catalog.units.values())]
    weights = _part(catalog, "indicator_weights")
    indicators = [
        (
            i.code,
            i.pillar,
            i.name_vi,
            i.name_en,
            i.numerator,
            i.denominator,
            i.scale,
            i.direction,
            i.aggregation,
            i.cadence_hours,
            i.lead_unit,
            list(getattr(i, "co_lead_units", ())),
            i.source_system,
            getattr(i, "value_unit", ""),
            float(weights.get(i.code, 1.0)),
            i.assumed,
        )
        for i in catalog.indicators.values()
    ]
    targets = [
        (
            t.indicator,
            t.unit,
            t.period,
            t.baseline,
            t.target,
            t.tolerance,
            t.baseline_assumed,
            t.target_assumed,
            t.note,
        )
        for t in _part(catalog, "targets").values()
    ]
    completions = [
        (c.indicator, c.unit, c.period, c.confirmed_on, c.reference, c.note)
        for c in _part(catalog, "completions").values()
    ]
    weight_rows = [("pillar", code, w) for code, _, _, w in pillars if w is not None]
    weight_rows += [("indicator", code, float(w)) for code, w in weights.items()]
    with conn.transaction():
        _upsert(
            conn,
            "dti.unit",
            (
                "code",
                "name_vi",
                "name_en",
                "kind",
                "parent_code",
                "peer_group",
                "valid_from",
                "valid_to",
                "confidence",
                "note",
            ),
            ("code",),
            units,
        )
        _upsert(
            conn,
            "dti.metric",
            ("code", "kind", "unit_of_measure", "description_vi", "description_en"),
            ("code",),
            metrics,
        )
        _upsert(conn, "dti.pillar", ("code", "name_vi", "name_en", "weight"), ("code",), pillars)
        _upsert(conn, "dti.peer_group", ("code", "name_vi", "name_en", "ranked"), ("code",), peer_groups)
        _upsert(
            conn,
            "dti.indicator",
            (
                "code",
                "pillar",
                "name_vi",
                "name_en",
                "numerator_metric",
                "denominator_metric",
                "scale",
                "direction",
                "aggregation",
                "cadence_hours",
                "lead_unit",
                "co_lead_units",
                "source_system",
                "value_unit",
                "weight",
                "assumed",
            ),
            ("code",),
            indicators,
        )
        target_key = ("indicator_code", "unit_code", "period")
        _prune(conn, "dti.target", target_key, [t[:3] for t in targets])
        _upsert(
            conn,
            "dti.target",
            (*target_key, "baseline", "target", "tolerance", "baseline_assumed", "target_assumed", "note"),
            target_key,
            targets,
        )
        _prune(conn, "dti.completion", target_key, [c[:3] for c in completions])
        _upsert(
            conn,
            "dti.completion",
            (*target_key, "confirmed_on", "reference", "note"),
            target_key,
            completions,
        )
        _prune(conn, "dti.weight", ("level", "code"), [w[:2] for w in weight_rows])
        _upsert(conn, "dti.weight", ("level", "code", "weight"), ("level", "code"), weight_rows)
        _load_plans_and_successions(conn, catalog)


def _load_plans_and_successions(conn: Conn, catalog: Catalog) -> None:
    """The plan years with their tasks and indicators, the successions and the lead unit of each indicator by day."""
    plans = _part(catalog, "plans")
    plan_rows = [
        (
            p.year,
            p.name_vi,
            p.name_en,
            p.reference,
            p.issued_on,
            p.assumed,
            p.note,
            p.task_rules.tolerance,
            p.task_rules.cadence_days,
            p.task_rules.reminder_days,
        )
        for p in plans.values()
    ]
    tasks = [
        (
            t.code,
            t.year,
            t.title_vi,
            t.title_en,
            t.pillar,
            t.lead_unit,
            list(t.co_lead_units),
            t.deadline,
            t.deliverable,
            t.assumed,
            t.note,
        )
        for p in plans.values()
        for t in p.tasks.values()
    ]
    plan_indicators = [
        (p.year, i.code, i.lead_unit, list(i.co_lead_units), i.note)
        for p in plans.values()
        for i in p.indicators.values()
    ]
    successions = [
        (s.unit, s.predecessor, s.share, s.takes_over, s.confidence, s.note)
        for s in getattr(catalog, "successions", ())
    ]
    spans = [(code, *span) for code in catalog.indicators for span in catalog.lead_spans(code)] if plans else []
    # Derived from the catalog as a whole: replaced, not merged, inside the caller's transaction.
    for table in ("dti.lead_assignment", "dti.unit_succession", "dti.plan_indicator"):
        conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
    conn.execute("DELETE FROM dti.plan WHERE NOT (period = ANY(%s::int4[]))", [list(plans)])
    _upsert(
        conn,
        "dti.plan",
        (
            "period",
            "name_vi",
            "name_en",
            "reference",
            "issued_on",
            "assumed",
            "note",
            "task_tolerance",
            "task_cadence_days",
            "task_reminder_days",
        ),
        ("period",),
        plan_rows,
    )
    conn.execute("DELETE FROM dti.task WHERE NOT (code = ANY(%s::text[]))", [[t[0] for t in tasks]])
    _upsert(
        conn,
        "dti.task",
        (
            "code",
            "period",
            "title_vi",
            "title_en",
            "pillar",
            "lead_unit",
            "co_lead_units",
            "deadline",
            "deliverable",
            "assumed",
            "note",
        ),
        ("code",),
        tasks,
    )
    _upsert(
        conn,
        "dti.plan_indicator",
        ("period", "indicator_code", "lead_unit", "co_lead_units", "note"),
        ("period", "indicator_code"),
        plan_indicators,
    )
    _upsert(
        conn,
        "dti.unit_succession",
        ("unit_code", "predecessor_code", "share", "takes_over", "confidence", "note"),
        ("unit_code", "predecessor_code"),
        successions,
    )
    _upsert(
        conn,
        "dti.lead_assignment",
        ("indicator_code", "valid_from", "valid_to", "lead_unit"),
        ("indicator_code", "valid_from"),
        spans,
    )
