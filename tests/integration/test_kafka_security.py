"""Kafka with a SASL_SSL listener: a connector and a worker end to end over it; a refused login stops at once."""

from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from qndti.stack import process
from qndti.stack.kafka import MAIN_CLASS, KafkaBroker, SaslSslListener
from streams.topics import Topics
from tests.certificates import make_ca, make_server_certificate
from tests.conftest import REPO, StackInfo, free_port
from tests.connectors_support import write_source
from tests.integration.conftest import WorkerProcess, service_env, wait_for
from tests.integration.scenarios import sql_round

pytestmark = pytest.mark.integration

CONNECTOR_USER = "qndti-connectors"  # PLAIN
WORKER_USER = "qndti-worker"  # SCRAM-SHA-512
PASSWORDS = {CONNECTOR_USER: "pw-" + secrets.token_urlsafe(18), WORKER_USER: "pw-" + secrets.token_urlsafe(18)}


@dataclass(frozen=True)
class SecureBroker:
    """Where the SASL_SSL listener answers, the CA that signed its certificate, and the broker's log folder."""

    bootstrap: str
    ca: Path
    logs: Path


@pytest.fixture(scope="module")
def secure_broker() -> Iterator[SecureBroker]:
    """A broker of its own with a SASL_SSL listener, certificates and users made here, started by qndti.stack."""
    home = Path(tempfile.mkdtemp(prefix="qndti-test-sasl-"))
    certs = make_server_certificate(home / "certs")
    listener = SaslSslListener(
        port=free_port(),
        certificate=certs.certificate,
        key=certs.key,
        scram_users={WORKER_USER: PASSWORDS[WORKER_USER]},
        plain_users={CONNECTOR_USER: PASSWORDS[CONNECTOR_USER]},
    )
    broker = KafkaBroker(
        home=home / "kafka",
        lib=REPO / ".stack" / "kafka" / "lib",
        port=free_port(),
        controller_port=free_port(),
        sasl_ssl=listener,
    )
    broker.fetch()
    pid = broker.start()
    try:
        yield SecureBroker(listener.bootstrap, certs.ca, home / "kafka" / "logs")
    finally:
        process.stop(pid, MAIN_CLASS)
        shutil.rmtree(home, ignore_errors=True)


def kafka_env(broker: SecureBroker, user: str, mechanism: str, password: str, ca: Path | None = None) -> dict[str, str]:
    return {
        "QNDTI_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "QNDTI_KAFKA_SASL_MECHANISM": mechanism,
        "QNDTI_KAFKA_SASL_USERNAME": user,
        "QNDTI_KAFKA_SASL_PASSWORD": password,
        "QNDTI_KAFKA_SSL_CAFILE": str(ca or broker.ca),
    }


def report_source(tmp_path: Path) -> Path:
    """A file-drop source and one agency report in its folder, dated 30 June 2023."""
    drop = tmp_path / "drop"
    drop.mkdir()
    lines = ["STT;Đơn vị;Hồ sơ;", ";;Đã xử lý;Trực tuyến", "1;TP. Hạ Long;12.345;11.530", "2;Cẩm Phả;8.000;7.500"]
    (drop / "ho-so-30.06.2023.csv").write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    sources = tmp_path / "sources"
    write_source(
        sources,
        "reports",
        type="file_drop",
        fields={"unit": "Đơn vị"},
        metrics={"Hồ sơ Đã xử lý": "dossier.processed", "Hồ sơ Trực tuyến": "dossier.processed_online"},
        options={"folder": str(drop), "header_rows": 2, "settle_seconds": 0},
    )
    return sources


def qndti(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qndti", *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_a_connector_and_a_worker_over_sasl_ssl_end_to_end(
    secure_broker: SecureBroker, stack: StackInfo, database_url: str, tmp_path: Path
) -> None:
    topics = Topics.with_prefix(f"t{uuid.uuid4().hex[:10]}")
    # The test server trusts loopback clients, so this password is never checked; it must not be logged all the same.
    db_password = "pw-" + secrets.token_urlsafe(18)
    worker_database = database_url.replace("postgresql://postgres@", f"postgresql://postgres:{db_password}@")
    target = StackInfo(secure_broker.bootstrap, stack.database_url)
    sources = report_source(tmp_path)
    connector_env = service_env(
        target,
        "postgresql://unused",
        topics,
        tmp_path,
        QNDTI_CONNECTOR_SOURCES=str(sources),
        **kafka_env(secure_broker, CONNECTOR_USER, "PLAIN", PASSWORDS[CONNECTOR_USER]),
    )
    produced = qndti("connectors", "run", "--once", "--source", "reports", env=connector_env)
    assert produced.returncode == 0, produced.stderr

    env = service_env(
        target,
        worker_database,
        topics,
        tmp_path,
        QNDTI_WORKER_ID=f"qndti-test-{uuid.uuid4().hex[:8]}",
        QNDTI_WORKER_WEB_PORT=str(free_port()),
        **kafka_env(secure_broker, WORKER_USER, "SCRAM-SHA-512", PASSWORDS[WORKER_USER]),
    )
    worker = WorkerProcess(env=env, log=tmp_path / "worker.log").start()
    try:
        wait_for(
            database_url,
            "SELECT unit_code, numerator, denominator, round(value::numeric, 6) FROM dti.indicator_latest"
            " WHERE indicator_code = 'CQS-04' ORDER BY unit_code",
            [
                ("CAMPHA", 7500.0, 8000.0, sql_round(100 * 7500 / 8000, 6)),
                ("HALONG", 11530.0, 12345.0, sql_round(100 * 11530 / 12345, 6)),
                ("QN", 19030.0, 20345.0, sql_round(100 * 19030 / 20345, 6)),
            ],
            timeout=60,
            what="CQS-04 from the report, through the SASL_SSL listener",
        )
        assert worker.alive()
    finally:
        worker.stop()

    logs = [produced.stdout, produced.stderr, worker.log.read_text()]
    logs += [path.read_text(errors="replace") for path in secure_broker.logs.iterdir()]
    for secret in (*PASSWORDS.values(), db_password):
        assert not [text for text in logs if secret in text]


def test_a_wrong_password_or_an_untrusted_broker_stops_the_process_at_once(
    secure_broker: SecureBroker, stack: StackInfo, tmp_path: Path
) -> None:
    topics = Topics.with_prefix(f"t{uuid.uuid4().hex[:10]}")
    target = StackInfo(secure_broker.bootstrap, stack.database_url)
    wrong = "pw-wrong-" + secrets.token_urlsafe(12)
    where = secure_broker.bootstrap

    # Each run must end within qndti()'s 60 s: retrying a refused login would take the 120 s retry budget.
    worker_env = service_env(
        target,
        "postgresql://unused",
        topics,
        tmp_path,
        **kafka_env(secure_broker, WORKER_USER, "SCRAM-SHA-512", wrong),
    )
    worker = qndti("worker", env=worker_env)
    connector_env = service_env(
        target,
        "postgresql://unused",
        topics,
        tmp_path,
        QNDTI_CONNECTOR_SOURCES=str(report_source(tmp_path)),
        **kafka_env(secure_broker, CONNECTOR_USER, "PLAIN", wrong),
    )
    connector = qndti("connectors", "run", "--once", "--source", "reports", env=connector_env)
    other_ca, _, _ = make_ca(tmp_path / "other-ca", name="another CA")
    untrusted_env = {**connector_env, **kafka_env(secure_broker, CONNECTOR_USER, "PLAIN", wrong, ca=other_ca)}
    untrusted = qndti("connectors", "run", "--once", "--source", "reports", env=untrusted_env)

    assert (worker.returncode, connector.returncode, untrusted.returncode) == (2, 2, 2)
    assert (
        f"Kafka tại {where} từ chối đăng nhập của người dùng 'qndti-worker' (SCRAM-SHA-512) / Kafka at {where} "
        "refused the login of user 'qndti-worker' (SCRAM-SHA-512): Authentication failed during authentication due "
        "to invalid credentials with SASL mechanism SCRAM-SHA-512; kiểm tra / check QNDTI_KAFKA_SASL_USERNAME, "
        "QNDTI_KAFKA_SASL_PASSWORD"
    ) in " ".join(worker.stderr.split())
    assert (
        f"Kafka at {where} refused the login of user 'qndti-connectors' (PLAIN): Authentication failed: Invalid "
        "username or password"
    ) in " ".join(connector.stderr.split())
    assert (
        f"the TLS certificate of Kafka at {where} is not trusted: unable to get local issuer certificate; kiểm tra / "
        "check QNDTI_KAFKA_SSL_CAFILE"
    ) in " ".join(untrusted.stderr.split())
    for result in (worker, connector, untrusted):
        assert wrong not in result.stdout + result.stderr
