import pytest

from qndti.db_login import DatabaseLoginRefused, check_login, refusal

# Messages of libpq 15 for failed connections, as a Debian PostgreSQL 15 server gave them.
BAD_LOGIN = (
    'connection failed: connection to server at "127.0.0.1", port 55432 failed: FATAL:  password authentication'
    ' failed for user "owner"'
)
NO_DATABASE = (
    'connection failed: connection to server at "127.0.0.1", port 55432 failed: FATAL:  database "nodb" does not exist'
)
UNREACHABLE = (
    'connection failed: connection to server at "127.0.0.1", port 55999 failed: Connection refused\n'
    "\tIs the server running on that host and accepting TCP/IP connections?"
)


def test_refused_logins_are_told_apart_from_an_unreachable_server() -> None:
    assert refusal(BAD_LOGIN) == "check the password in QNDTI_DATABASE_URL"
    hint = refusal(NO_DATABASE)
    assert hint is not None
    assert "qndti db migrate" in hint
    assert refusal('FATAL:  role "nouser" does not exist') is not None
    assert refusal("FATAL:  sorry, too many clients already") is None
    assert refusal("FATAL:  the database system is starting up") is None
    assert refusal(UNREACHABLE) is None


def test_an_unreachable_server_is_left_to_the_retries() -> None:
    check_login("postgresql://nobody:pw@127.0.0.1:1/none", timeout=2)  # returns: nothing listens on port 1


def test_a_refusal_names_the_reason_and_what_to_check(monkeypatch: pytest.MonkeyPatch) -> None:
    import psycopg

    def refuse(*_: object, **__: object) -> None:
        raise psycopg.OperationalError(BAD_LOGIN)

    monkeypatch.setattr(psycopg, "connect", refuse)
    with pytest.raises(DatabaseLoginRefused, match=r'password authentication failed for user "owner" \(check'):
        check_login("postgresql://owner:hunter2-is-long@db/qndti")
