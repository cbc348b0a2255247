"""Settings: unknown QNDTI_ variables stop the process; Kafka security becomes aiokafka's keyword arguments."""

from __future__ import annotations

import dataclasses
import datetime as dt
import ssl
import subprocess
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from qndti.cli import app
from qndti.settings import Settings, UnknownSettingError, check_environment, unknown_variables
from streams.worker import WorkerConfig

PASSWORD = "s3cr3t-Kafka-pw"  # noqa: S105 - a test value
DEFAULT = "mật khẩu mặc định của ví dụ / the password is an example's default"
SHORT = "mật khẩu ngắn hơn 12 ký tự / the password is shorter than 12 characters"
ADVICE = "dùng mật khẩu ngẫu nhiên từ 12 ký tự / use a random password of at least 12 characters"


def test_a_misspelt_variable_is_named_with_the_closest_setting() -> None:
    environ = {"QNDTI_CONNECTORS_WEB_PORT": "6067", "QNDTI_KAFKA_BOOTSTRAP": "k:9092", "PATH": "/bin"}
    assert unknown_variables(environ) == {"QNDTI_CONNECTORS_WEB_PORT": "QNDTI_CONNECTORS_PORT"}
    with pytest.raises(UnknownSettingError, match=r"QNDTI_CONNECTORS_WEB_PORT.*QNDTI_CONNECTORS_PORT"):
        check_environment(environ)


def test_a_name_like_no_setting_is_named_alone() -> None:
    assert unknown_variables({"qndti_xyz": "1"}) == {"QNDTI_XYZ": None}


def test_known_variables_pass_in_any_case() -> None:
    check_environment({"QNDTI_WORKER_ID": "w", "qndti_partitions": "4", "OTHER_THING": "x"})


def test_settings_refuse_an_unknown_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QNDTI_KAFKA_BOOTSTRAP_SERVERS", "k:9092")
    with pytest.raises(ValidationError, match="did you mean QNDTI_KAFKA_BOOTSTRAP"):
        Settings()


def test_the_command_stops_at_start_naming_the_variable() -> None:
    result = CliRunner().invoke(app, ["catalog", "validate"], env={"QNDTI_WORKER_IDD": "x"})
    assert result.exit_code == 2
    assert "QNDTI_WORKER_IDD" in result.output
    assert "QNDTI_WORKER_ID" in result.output.replace("QNDTI_WORKER_IDD", "")


def test_plaintext_by_default() -> None:
    options = Settings(kafka_bootstrap="k1:9092,k2:9092").kafka_client_options()
    assert options == {"bootstrap_servers": "k1:9092,k2:9092", "security_protocol": "PLAINTEXT"}


def test_sasl_ssl_with_scram_and_a_ca_file(tmp_path: Path) -> None:
    ca = tmp_path / "ca.crt"
    ca.write_text(_self_signed_pem(tmp_path))
    settings = Settings(
        kafka_bootstrap="k:9093",
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="qndti",
        kafka_sasl_password=PASSWORD,
        kafka_ssl_cafile=ca,
    )
    options = settings.kafka_client_options()
    context = options.pop("ssl_context")
    assert options == {
        "bootstrap_servers": "k:9093",
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "qndti",
        "sasl_plain_password": PASSWORD,
    }
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname
    assert len(context.get_ca_certs()) == 1
    assert PASSWORD not in repr(settings)
    assert PASSWORD not in str(settings.model_dump())


def test_sasl_without_credentials_is_refused_without_echoing_them() -> None:
    with pytest.raises(ValidationError, match="QNDTI_KAFKA_SASL_USERNAME") as caught:
        Settings(kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="PLAIN", kafka_sasl_password=PASSWORD)
    assert PASSWORD not in str(caught.value)


def test_a_mechanism_without_sasl_is_refused() -> None:
    with pytest.raises(ValidationError, match="uses no SASL"):
        Settings(kafka_security_protocol="SSL", kafka_sasl_mechanism="PLAIN")


def test_a_missing_ca_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="not a readable file"):
        Settings(kafka_security_protocol="SSL", kafka_ssl_cafile=tmp_path / "missing.crt")


def test_an_unknown_mechanism_is_refused() -> None:
    with pytest.raises(ValidationError, match="kafka_sasl_mechanism"):
        Settings(kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="GSSAPI")


def _self_signed_pem(folder: Path) -> str:
    """A self-signed CA certificate made for the test with the openssl command."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
         "-subj", "/CN=qndti test CA", "-keyout", str(folder / "ca.key"), "-out", str(folder / "ca.pem")],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return (folder / "ca.pem").read_text()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("postgresql://qndti_app:change-me@db.internal:5432/qndti", DEFAULT),
        ("postgresql://qndti_app:CHANGE-ME@db.internal/qndti", DEFAULT),
        ("postgresql://qndti_app:@db.internal/qndti", "mật khẩu trống / the password is empty"),
        ("postgresql://qndti_app:Short-pw-11@db.internal/qndti", SHORT),
        ("postgresql://qndti_app@db.internal/qndti?password=postgres", DEFAULT),
        ("host=db.internal user=qndti_app password=abc", SHORT),
    ],
)
def test_a_weak_database_password_stops_the_process_without_showing_it(url: str, reason: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(database_url=url)
    message = str(caught.value)
    assert f"QNDTI_DATABASE_URL: {reason}; {ADVICE}" in message
    assert "db.internal" not in message  # neither the URL nor its password is repeated


def test_database_urls_without_a_password_or_with_a_strong_one_pass() -> None:
    assert Settings(database_url="postgresql://postgres@127.0.0.1:5442/qndti").database().endswith("/qndti")
    assert Settings(database_url="postgresql://qndti_worker:Xv9-tq2LmPw7@db/qndti?sslmode=verify-full").database()


def test_an_unparsable_database_url_is_named_not_shown() -> None:
    with pytest.raises(ValidationError, match="is not a valid PostgreSQL URL") as caught:
        Settings(database_url="postgresql://u:Zz9-pw-hidden-1@db/q?sslmode=verify-full&bogus=1")
    assert "Zz9-pw-hidden-1" not in str(caught.value)


@pytest.mark.parametrize(
    ("password", "reason"),
    [("change-me", DEFAULT), ("kafka-pw-11", SHORT)],
)
def test_a_weak_kafka_password_stops_the_process(password: str, reason: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(
            kafka_security_protocol="SASL_SSL",
            kafka_sasl_mechanism="SCRAM-SHA-512",
            kafka_sasl_username="qndti",
            kafka_sasl_password=password,
        )
    assert f"QNDTI_KAFKA_SASL_PASSWORD: {reason}; {ADVICE}" in str(caught.value)
    assert password not in str(caught.value)


def test_an_empty_kafka_password_is_a_missing_one() -> None:
    with pytest.raises(ValidationError, match="needs QNDTI_KAFKA_SASL_MECHANISM, QNDTI_KAFKA_SASL_USERNAME and"):
        Settings(
            kafka_security_protocol="SASL_SSL",
            kafka_sasl_mechanism="PLAIN",
            kafka_sasl_username="qndti",
            kafka_sasl_password="",
        )


def test_the_worker_refuses_a_default_password_at_start() -> None:
    env = {"QNDTI_DATABASE_URL": "postgresql://qndti_worker:change-me@db.internal/qndti?sslmode=verify-full"}
    result = CliRunner().invoke(app, ["worker"], env=env)
    assert result.exit_code == 2
    assert f"QNDTI_DATABASE_URL: {DEFAULT}; {ADVICE}" in " ".join(result.output.split())
    assert "change-me" not in result.output


# WorkerConfig's field: the setting `qndti worker` passes to it (qndti/commands/worker.py).
WORKER_SETTINGS = {
    "partitions": "partitions",
    "web_host": "worker_web_host",
    "web_port": "worker_web_port",
    "sink_mode": "sink_mode",
    "store_observations": "store_observations",
    "batch_size": "worker_batch_size",
    "batch_wait": "worker_batch_within",
    "stale_interval": "worker_stale_interval",
    "retry_budget": "worker_retry_budget",
    "database_timeout": "worker_database_timeout",
    "session_timeout": "worker_session_timeout",
}


def test_the_worker_s_own_defaults_are_the_settings_defaults() -> None:
    # streams cannot read the settings (dependencies run from qndti to streams): the defaults are written twice.
    own = {f.name: f.default for f in dataclasses.fields(WorkerConfig)}
    assert {name: own[name] for name in WORKER_SETTINGS} == {
        name: Settings.model_fields[setting].default for name, setting in WORKER_SETTINGS.items()
    }
    assert own["bucket"] == dt.timedelta(minutes=Settings.model_fields["bucket_minutes"].default)
