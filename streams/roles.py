r"""Login roles of the service's database: a worker's login that holds ``qndti_writer`` and nothing more.

``qndti_writer`` (migration ``0006.roles``) may write the worker's tables and read the rest of schema ``dti``; it
owns nothing and cannot log in. :func:`grant_writer` creates (or updates) a login role that is a member of it,
with the right to connect to the database and to make the worker's temporary staging tables: no superuser, no
database or role creation, no DDL in any schema. The password reaches the server only as a SCRAM-SHA-256 verifier
computed here (as psql's ``\password`` does), so no statement log can show it.
"""

from __future__ import annotations

import re

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

from streams.errors import StreamsError

WRITER = "qndti_writer"
RESERVED = frozenset({"postgres", "qndti_app", "qndti_writer", "grafana_reader", "public"})
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class RoleRefused(StreamsError):
    """A login role cannot be made: a refused name, a database without the migrations, or no right to do it."""


def check_name(name: str) -> None:
    """Raise :class:`RoleRefused` unless ``name`` is a plain lower-case role name that is none of the service's."""
    if not _NAME.fullmatch(name):
        raise RoleRefused(
            f"tên vai trò {name!r} không hợp lệ / role name {name!r} is not valid: lower-case letters, digits and _"
            " only, starting with a letter or _, at most 63 characters"
        )
    if name in RESERVED or name.startswith("pg_"):
        raise RoleRefused(f"{name!r} là vai trò của hệ thống / is a role of the service or the server: choose another")


def grant_writer(conn: psycopg.Connection[TupleRow], name: str, password: str) -> bool:
    """Create the login role ``name`` with ``password``, a member of qndti_writer, or update it; True if created.

    Runs in one transaction on ``conn``, whose role needs CREATEROLE and the admin option on qndti_writer (or is
    a superuser). An existing role is updated (its password, its membership) only if it is a plain login: one that
    may create roles or databases, replicate, bypass row security or is a superuser is refused, never demoted.

    Raises:
        RoleRefused: the name is refused, the migrations have not run, or the connected role may not do it.
    """
    check_name(name)
    verifier = conn.pgconn.encrypt_password(password.encode(), name.encode(), b"scram-sha-256").decode()
    role = sql.Identifier(name)
    try:
        with conn.transaction():
            if conn.execute("SELECT FROM pg_roles WHERE rolname = %s", [WRITER]).fetchone() is None:
                raise RoleRefused(
                    f"chưa có vai trò {WRITER} / role {WRITER} does not exist: run the roles script or"
                    " `qndti db migrate` on this database first"
                )
            found = conn.execute(
                "SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls"
                " FROM pg_roles WHERE rolname = %s",
                [name],
            ).fetchone()
            if found is not None and found[0]:
                raise RoleRefused(
                    f"vai trò {name!r} đã có và có thêm quyền / role {name!r} exists with more rights than a login"
                    " (superuser, CREATEROLE, CREATEDB, REPLICATION or BYPASSRLS): choose another name"
                )
            verb = sql.SQL("CREATE ROLE" if found is None else "ALTER ROLE")
            conn.execute(sql.SQL("{} {} LOGIN INHERIT PASSWORD {}").format(verb, role, sql.Literal(verifier)))
            conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(WRITER), role))
            database = sql.Identifier(conn.info.dbname)
            conn.execute(sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(database, role))
    except psycopg.errors.InsufficientPrivilege as exc:
        raise RoleRefused(
            f"vai trò {conn.info.user!r} không được làm việc này / role {conn.info.user!r} may not do this "
            f"({exc.diag.message_primary}): connect as a superuser or a role with CREATEROLE and the admin option "
            f"on {WRITER}"
        ) from None
    return found is None
