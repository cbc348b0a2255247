"""Pure formatting of what ``qndti watch`` shows: numbers, ages, status counts, explanations and orderings.

Nothing here reads the database or a clock: rows and the time come in as arguments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, TypeVar

from index_engine.status import Status
from qndti.watch.rows import AlertRow, IndicatorRow, ScoreRow

DASH: Final = "–"

COUNTED: Final = (
    Status.ACHIEVED,
    Status.COMPLETED,
    Status.ON_TRACK,
    Status.AT_RISK,
    Status.OFF_TRACK,
    Status.STALE,
    Status.NO_TARGET,
)
"""The statuses the overview counts, in the order it shows them; deteriorating counts as off track."""

_ORDER: Final = {status.value: i for i, status in enumerate((*COUNTED[:5], Status.DETERIORATING, *COUNTED[5:]))}

STATUS_STYLE: Final = {
    Status.ACHIEVED: "bold green",
    Status.COMPLETED: "bold green",
    Status.ON_TRACK: "green",
    Status.AT_RISK: "yellow",
    Status.OFF_TRACK: "red",
    Status.DETERIORATING: "bold red",
    Status.STALE: "magenta",
    Status.NO_TARGET: "dim",
}


def number(value: float | None, digits: int = 1) -> str:
    """A number the Vietnamese way: ``.`` between thousands, ``,`` before decimals; a dash when missing."""
    if value is None:
        return DASH
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, with an ellipsis when cut."""
    return text if len(text) <= width else text[: width - 1] + "…"


def index_text(score: float | None, points: float | None) -> str:
    """An index as the national DTI reports it: 0–1 and points out of 1000."""
    if score is None:
        return f"{DASH} (chưa đủ dữ liệu / withheld)"
    shown = points if points is not None else score * 1000
    return f"{number(score, 3)} · {number(shown, 0)} điểm / points"


def trend_text(points: Sequence[float]) -> str:
    """The change over the points of a trend (oldest first), in points of 1000, with an arrow."""
    if len(points) < 2:
        return "xu hướng: chưa đủ dữ liệu / trend: not enough data"
    change = points[-1] - points[0]
    arrow = "↑" if change > 0.05 else "↓" if change < -0.05 else "→"
    sign = "+" if change > 0 else ""
    return f"{arrow} {sign}{number(change, 1)} điểm / points ({len(points)} mốc / buckets)"


def status_label(code: str | None) -> str:
    """The Vietnamese and English labels of a status code (the code itself when it is not known)."""
    if code is None:
        return "chưa đánh giá / not evaluated"
    try:
        status = Status(code)
    except ValueError:
        return code
    return f"{status.label_vi} / {status.label_en}"


def status_style(code: str | None) -> str:
    """The Rich style of a status."""
    try:
        return STATUS_STYLE[Status(code)] if code is not None else "dim"
    except ValueError:
        return ""


@dataclass(frozen=True)
class StatusCount:
    """How many indicators have one status."""

    status: Status
    count: int

    @property
    def label(self) -> str:
        """Vietnamese and English label."""
        return f"{self.status.label_vi} / {self.status.label_en}"


def status_counts(statuses: Iterable[str | None]) -> tuple[tuple[StatusCount, ...], int]:
    """Counts for every status of :data:`COUNTED` (zeros included) and the number not evaluated yet.

    A deteriorating indicator is off track (R < 0 is the worst case of R < 0.60).
    """
    counts = dict.fromkeys(COUNTED, 0)
    unevaluated = 0
    for code in statuses:
        if code is None:
            unevaluated += 1
            continue
        status = Status(code)
        counts[Status.OFF_TRACK if status is Status.DETERIORATING else status] += 1
    return tuple(StatusCount(s, n) for s, n in counts.items()), unevaluated


def age(ts: dt.datetime | None, now: dt.datetime) -> str:
    """How long ago ``ts`` was, in words: ``5 phút / 5 min``."""
    if ts is None:
        return DASH
    seconds = max(0, int((now - ts).total_seconds()))
    if seconds < 60:
        return f"{seconds} giây / s"
    if seconds < 3600:
        return f"{seconds // 60} phút / min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} giờ / h"
    return f"{seconds // 86400} ngày / d"


def why(row: IndicatorRow, alerts: Iterable[AlertRow]) -> tuple[str, str]:
    """Why an indicator has its status, Vietnamese and English.

    The engine's own messages where an alert is open for it; otherwise the status with plan attainment x/T and
    the progress ratio R that the view holds.
    """
    messages = [a for a in alerts if a.indicator_code == row.indicator_code and a.unit_code == row.unit_code]
    if messages:
        return (
            " · ".join(a.message_vi or a.status_vi or a.kind for a in messages),
            " · ".join(a.message_en or a.status_en or a.kind for a in messages),
        )
    vi = [row.status_vi or status_label(row.status).split(" / ")[0]]
    en = [row.status_en or status_label(row.status).split(" / ")[-1]]
    if row.attainment is not None:
        vi.append(f"đạt {number(row.attainment * 100, 1)}% mục tiêu")
        en.append(f"{number(row.attainment * 100, 1)}% of target")
    if row.progress is not None:
        vi.append(f"tỷ số tiến độ R = {number(row.progress, 2)}")
        en.append(f"progress ratio R = {number(row.progress, 2)}")
    return "; ".join(vi), "; ".join(en)


def slowest(scores: Iterable[ScoreRow], per_group: int) -> dict[str, list[ScoreRow]]:
    """The ``per_group`` lowest-ranked units of each ranked peer group, worst first."""
    groups: dict[str, list[ScoreRow]] = {}
    for row in scores:
        if row.rank is not None and row.score is not None and row.peer_group is not None:
            groups.setdefault(row.peer_group, []).append(row)
    return {
        group: sorted(rows, key=lambda r: (r.score, r.unit_code))[:per_group] for group, rows in sorted(groups.items())
    }


@dataclass(frozen=True)
class Freshness:
    """How fresh the data of one source system is."""

    source: str
    newest: dt.datetime | None
    stale: int
    pairs: int


def freshness(rows: Iterable[IndicatorRow], source_of: Mapping[str, str]) -> list[Freshness]:
    """Per source system (the catalog's, by indicator): newest data, and indicator × unit pairs stale; oldest first.

    Indicators the catalog does not know are grouped under their own code.
    """
    newest: dict[str, dt.datetime | None] = {}
    stale: dict[str, int] = {}
    pairs: dict[str, int] = {}
    for row in rows:
        source = source_of.get(row.indicator_code, row.indicator_code)
        seen = newest.get(source)
        if row.ts is not None and (seen is None or row.ts > seen):
            seen = row.ts
        newest[source] = seen
        stale[source] = stale.get(source, 0) + (row.status == Status.STALE)
        pairs[source] = pairs.get(source, 0) + 1
    made = [Freshness(s, newest[s], stale[s], pairs[s]) for s in newest]
    floor = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted(made, key=lambda f: (-f.stale, f.newest or floor, f.source))


SORT_KEYS: Final = ("value", "score", "status", "unit")
"""Orders of the indicator screen, in the order the sort key cycles through them."""

SORT_LABELS: Final = {
    "value": "giá trị / value",
    "score": "điểm / score",
    "status": "trạng thái / status",
    "unit": "đơn vị / unit",
}

_Row = TypeVar("_Row", bound=IndicatorRow)


def sort_rows(rows: Iterable[_Row], key: str, descending: bool) -> list[_Row]:
    """Rows of one indicator across units, by ``key`` (see :data:`SORT_KEYS`); missing values always last.

    Ties are broken by unit code, ascending, so the order is stable from one refresh to the next.
    """
    pick: dict[str, Callable[[IndicatorRow], float | str | None]] = {
        "value": lambda r: r.value,
        "score": lambda r: r.score,
        "status": lambda r: None if r.status is None else _ORDER.get(r.status, len(_ORDER)),
        "unit": lambda r: r.unit_name_vi or r.unit_code,
    }
    if key not in pick:
        raise ValueError(f"unknown sort key {key!r}; one of {', '.join(SORT_KEYS)}")
    get = pick[key]
    by_unit = sorted(rows, key=lambda r: r.unit_code)
    present = [r for r in by_unit if get(r) is not None]
    missing = [r for r in by_unit if get(r) is None]
    present.sort(key=lambda r: get(r), reverse=descending)  # type: ignore[arg-type, return-value]
    return [*present, *missing]
