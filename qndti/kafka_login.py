"""One Kafka connection at start that authenticates, so that refused credentials stop a process at once.

aiokafka's clients log a refused SASL login and then report only that they could not bootstrap, an error the
worker and the connectors retry as if the broker were down. A wrong password or an untrusted certificate does not
get better by waiting: :func:`check_login` tells them apart from an unreachable broker, which it leaves to the
clients' own retries (a broker may be restarting).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from typing import Any

from aiokafka.conn import create_conn
from aiokafka.errors import KafkaError, SaslAuthenticationFailed, UnsupportedSaslMechanismError


class KafkaLoginRefused(Exception):
    """The broker refused the SASL login, or its TLS certificate is not trusted: retrying cannot help."""


def servers(bootstrap: str) -> list[tuple[str, int]]:
    """Host and port of each bootstrap server, e.g. ``[("k1", 9093)]`` for ``"k1:9093"`` (port 9092 if none)."""
    found = []
    for item in bootstrap.split(","):
        address = item.strip()
        if not address:
            continue
        host, colon, port = address.rpartition(":")
        if not colon or "]" in port:
            host, port = address, "9092"
        found.append((host.strip("[]"), int(port)))
    return found


async def check_login(options: Mapping[str, Any], timeout: float = 10.0) -> None:
    """Connect to the first bootstrap server that answers with ``options`` (aiokafka's); raise if it refuses us.

    Raises:
        KafkaLoginRefused: the SASL login was refused, the mechanism is not enabled on the broker, or the broker's
            certificate does not verify against the CA file; the message says which and what to check.
    """
    protocol = options.get("security_protocol", "PLAINTEXT")
    if protocol == "PLAINTEXT":
        return
    user = options.get("sasl_plain_username")
    mechanism = options.get("sasl_mechanism")
    for host, port in servers(str(options["bootstrap_servers"])):
        where = f"{host}:{port}"
        try:
            conn = await asyncio.wait_for(
                create_conn(
                    host,
                    port,
                    ssl_context=options.get("ssl_context"),
                    security_protocol=protocol,
                    sasl_mechanism=mechanism,
                    sasl_plain_username=user,
                    sasl_plain_password=options.get("sasl_plain_password"),
                ),
                timeout,
            )
        except SaslAuthenticationFailed as exc:
            raise KafkaLoginRefused(
                f"Kafka tại {where} từ chối đăng nhập của người dùng {user!r} ({mechanism}) / Kafka at {where} refused "
                f"the login of user {user!r} ({mechanism}): {_broker_message(exc)}; kiểm tra / check "
                "QNDTI_KAFKA_SASL_USERNAME, QNDTI_KAFKA_SASL_PASSWORD"
            ) from None
        except UnsupportedSaslMechanismError as exc:
            raise KafkaLoginRefused(
                f"Kafka tại {where} không hỗ trợ cơ chế {mechanism} / Kafka at {where} does not offer {mechanism}: "
                f"{exc}; kiểm tra / check QNDTI_KAFKA_SASL_MECHANISM"
            ) from None
        except ssl.SSLCertVerificationError as exc:
            raise KafkaLoginRefused(
                f"chứng chỉ TLS của Kafka tại {where} không được tin cậy / the TLS certificate of Kafka at {where} is "
                f"not trusted: {exc.verify_message}; kiểm tra / check QNDTI_KAFKA_SSL_CAFILE and the broker's host name"
            ) from None
        except (OSError, KafkaError, TimeoutError):
            continue  # unreachable or restarting: the next server, or the clients' own retries
        conn.close()
        return


def _broker_message(exc: SaslAuthenticationFailed) -> str:
    """The broker's reason, without aiokafka's ``[Error 58] SaslAuthenticationFailed:`` prefix."""
    text = str(exc)
    return text.split(": ", 1)[1] if text.startswith("[Error") and ": " in text else text
