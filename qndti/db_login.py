"""One PostgreSQL connection at start, so that refused credentials stop a process at once.

The worker retries database errors for its retry budget, as it should for a server that is restarting. A wrong
password, a missing role or database, a ``pg_hba.conf`` that refuses the client or an untrusted certificate does
not get better by waiting. psycopg gives no SQLSTATE for a failed connection, only libpq's message, so
:func:`refusal` reads the message for these cases; anything else (unreachable, starting up, too many clients) is
left to the retries.
"""

from __future__ import annotations

import re
from typing import Final

import psycopg

REFUSALS: Final = tuple(
    (re.compile(pattern), hint)
    for pattern, hint in (
        (r"password authentication failed", "check the password in QNDTI_DATABASE_URL"),
        (r"no pg_hba\.conf entry", "the server's pg_hba.conf does not admit this user, database or address"),
        (r'role ".*" does not exist', "the login role does not exist: create it or fix the user name"),
        (r'database ".*" does not exist', "the database does not exist: create it, then run qndti db migrate"),
        (r"certificate verify failed", "the server's certificate does not verify against sslrootcert"),
        (r"does not match host name", "the server's certificate is for another host name"),
        (r"root certificate file", "the sslrootcert file cannot be read"),
        (r"server does not support SSL", "the server does not take TLS connections"),
    )
)
"""Patterns of libpq's messages that no retry can cure, with what to check."""


class DatabaseLoginRefused(Exception):
    """PostgreSQL refused this process's login: retrying cannot help."""


def refusal(message: str) -> str | None:
    """What to check when ``message`` (a failed connection's) says the login was refused; ``None`` otherwise."""
    return next((hint for pattern, hint in REFUSALS if pattern.search(message)), None)


def check_login(url: str, timeout: int = 10) -> None:
    """Connect once to ``url``; raise :class:`DatabaseLoginRefused` if the server refuses the login.

    An unreachable or busy server is not an error here: the process's own retries deal with it.
    """
    try:
        with psycopg.connect(url, connect_timeout=timeout):
            return
    except psycopg.OperationalError as exc:
        hint = refusal(str(exc))
        if hint is None:
            return
        # libpq's message names host, port, user and database, never the password.
        reason = str(exc).strip().splitlines()[0]
        raise DatabaseLoginRefused(f"PostgreSQL refused the login: {reason} ({hint})") from None
