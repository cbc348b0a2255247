import datetime as dt
from collections.abc import Iterable

from index_engine.alerts import AlertDecision, AlertKind, AlertState, decide
from index_engine.status import Status
from tests.unit.index_engine.conftest import CATALOG, make_result

CQS04 = CATALOG.indicators["CQS-04"]
KTS05 = CATALOG.indicators["KTS-05"]


def run(
    statuses: Iterable[Status], state: AlertState | None = None, **overrides
) -> tuple[AlertState, list[AlertDecision]]:
    state = state or AlertState()
    decisions = []
    for status in statuses:
        state, decision = decide(state, make_result(status=status, **overrides), CQS04)
        decisions.append(decision)
    return state, decisions


def raised(decisions: list[AlertDecision]) -> list[tuple[AlertKind, ...]]:
    return [d.raised for d in decisions]


def test_a_worse_status_alerts_after_two_consecutive_evaluations() -> None:
    state, decisions = run([Status.ON_TRACK, Status.AT_RISK, Status.AT_RISK, Status.AT_RISK])
    assert raised(decisions) == [(), (), (AlertKind.WORSENED,), ()]
    assert state.settled is Status.AT_RISK
    assert AlertKind.WORSENED in state.open
    assert decisions[2].notify == ("TTPVHCC",)
    assert decisions[2].changed
    assert not decisions[3].changed


def test_a_single_bad_evaluation_does_not_alert() -> None:
    state, decisions = run([Status.ON_TRACK, Status.OFF_TRACK, Status.ON_TRACK, Status.OFF_TRACK])
    assert raised(decisions) == [(), (), (), ()]
    assert state.settled is Status.ON_TRACK
    assert state.pending is Status.OFF_TRACK


def test_settles_on_the_milder_of_two_worse_statuses() -> None:
    state, decisions = run([Status.ON_TRACK, Status.OFF_TRACK, Status.AT_RISK])
    assert state.settled is Status.AT_RISK
    assert raised(decisions)[2] == (AlertKind.WORSENED,)
    state, _ = run([Status.ON_TRACK, Status.AT_RISK, Status.DETERIORATING])
    assert state.settled is Status.AT_RISK


def test_further_worsening_raises_again_and_recovery_resolves() -> None:
    statuses = [
        Status.AT_RISK,
        Status.AT_RISK,
        Status.OFF_TRACK,
        Status.OFF_TRACK,
        Status.AT_RISK,
        Status.ON_TRACK,
    ]
    state, decisions = run(statuses)
    assert raised(decisions) == [(), (AlertKind.WORSENED,), (), (AlertKind.WORSENED,), (), ()]
    assert [d.resolved for d in decisions][-2:] == [(), (AlertKind.WORSENED,)]
    assert state.open == frozenset()


def test_getting_worse_within_a_harmless_range_does_not_alert() -> None:
    state, decisions = run([Status.ACHIEVED, Status.ON_TRACK, Status.ON_TRACK])
    assert raised(decisions) == [(), (), ()]
    assert state.settled is Status.ON_TRACK


def test_an_indicator_that_never_reported_does_not_page() -> None:
    state, decisions = run([Status.STALE, Status.STALE], last_seen=None)
    assert raised(decisions) == [(), ()]
    assert state.open == frozenset()
    # Its first data then goes stale: that is data that stopped, and it pages.
    _, later = run([Status.STALE], state, last_seen=dt.datetime(2023, 1, 2, tzinfo=dt.UTC))
    assert raised(later) == [(AlertKind.STALE,)]


def test_stale_alerts_at_once_and_breaks_the_run() -> None:
    state, decisions = run([Status.ON_TRACK, Status.AT_RISK, Status.STALE, Status.STALE, Status.AT_RISK])
    assert raised(decisions) == [(), (), (AlertKind.STALE,), (), ()]
    assert decisions[4].resolved == (AlertKind.STALE,)
    assert state.pending is Status.AT_RISK
    assert state.settled is Status.ON_TRACK


def test_shortfall_beyond_tolerance() -> None:
    state, first = decide(AlertState(), make_result(shortfall=6.0, tolerance=5.0), KTS05)
    assert first.raised == (AlertKind.SHORTFALL,)
    assert first.notify == ("SKHDT", "THONGKE")
    state, second = decide(state, make_result(shortfall=5.0, tolerance=5.0), KTS05)
    assert second.resolved == (AlertKind.SHORTFALL,)
    _, third = decide(state, make_result(shortfall=None, tolerance=None, status=Status.NO_TARGET), KTS05)
    assert not third.changed


def test_the_successor_of_a_merged_lead_unit_is_told() -> None:
    # Sở KH&ĐT merged into Sở Tài chính on 1 March 2025: a 2025 shortfall of KTS-05 goes to STC.
    day = dt.date(2025, 4, 1)
    lead = CATALOG.lead_unit("KTS-05", day)
    assert lead == "STC"
    _, decision = decide(AlertState(), make_result(shortfall=6.0, tolerance=5.0), KTS05, lead_unit=lead)
    assert decision.notify == ("STC", "THONGKE")
