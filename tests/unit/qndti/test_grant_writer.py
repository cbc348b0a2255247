"""``qndti db grant-writer``: the password file is checked before any database is reached."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from qndti.cli import app

# No server listens here: each case must stop before connecting.
ENV = {"QNDTI_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/qndti"}


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("change-me\n", "mật khẩu mặc định của ví dụ / the password is an example's default"),
        ("\n", "mật khẩu trống / the password is empty"),
        ("", "mật khẩu trống / the password is empty"),
        ("short-pw\n", "mật khẩu ngắn hơn 12 ký tự / the password is shorter than 12 characters"),
    ],
)
def test_a_weak_password_file_is_refused_without_showing_it(tmp_path: Path, content: str, reason: str) -> None:
    secret = tmp_path / "pw"
    secret.write_text(content)
    result = CliRunner().invoke(app, ["db", "grant-writer", "qndti_worker", "--password-file", str(secret)], env=ENV)
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert f"{reason}; use a random password of at least 12 characters" in said
    if content.strip():
        assert content.strip() not in said.replace(str(secret), "")


def test_a_missing_password_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    result = CliRunner().invoke(app, ["db", "grant-writer", "qndti_worker", "--password-file", str(missing)], env=ENV)
    assert result.exit_code == 2
    assert f"cannot read the password file {missing}: FileNotFoundError" in " ".join(result.output.split())


def test_a_service_role_name_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("pw-long-enough-1234\n")
    result = CliRunner().invoke(app, ["db", "grant-writer", "qndti_app", "--password-file", str(secret)], env=ENV)
    assert result.exit_code == 2
    assert "'qndti_app' là vai trò của hệ thống / is a role of the service or the server" in " ".join(
        result.output.split()
    )
