"""Names a worker's login role may have: plain lower-case names, none of the service's or the server's roles."""

from __future__ import annotations

import pytest

from streams.roles import RoleRefused, check_name


@pytest.mark.parametrize("name", ["qndti_worker", "worker_2", "_w"])
def test_plain_names_are_accepted(name: str) -> None:
    check_name(name)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("Worker", "is not valid"),
        ("qndti-worker", "is not valid"),
        ("w; DROP ROLE postgres", "is not valid"),
        ("2worker", "is not valid"),
        ("w" * 64, "is not valid"),
        ("qndti_writer", "is a role of the service or the server"),
        ("qndti_app", "is a role of the service or the server"),
        ("grafana_reader", "is a role of the service or the server"),
        ("postgres", "is a role of the service or the server"),
        ("pg_monitor", "is a role of the service or the server"),
    ],
)
def test_other_names_are_refused(name: str, reason: str) -> None:
    with pytest.raises(RoleRefused, match=reason):
        check_name(name)
