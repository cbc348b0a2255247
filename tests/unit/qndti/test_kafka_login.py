"""The start-up Kafka login check: bootstrap addresses, and nothing to check in plain text."""

from __future__ import annotations

import asyncio

from qndti.kafka_login import check_login, servers


def test_bootstrap_servers_are_split_into_hosts_and_ports() -> None:
    assert servers("k1:9093, k2:9094,k3") == [("k1", 9093), ("k2", 9094), ("k3", 9092)]
    assert servers("[::1]:9093,[fe80::1]") == [("::1", 9093), ("fe80::1", 9092)]


def test_plaintext_connects_to_nothing() -> None:
    # No broker listens on port 1: a check that tried to connect would fail or wait.
    asyncio.run(check_login({"bootstrap_servers": "127.0.0.1:1", "security_protocol": "PLAINTEXT"}))


def test_an_unreachable_broker_is_left_to_the_clients_retries() -> None:
    options = {"bootstrap_servers": "127.0.0.1:1", "security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "PLAIN"}
    asyncio.run(check_login({**options, "sasl_plain_username": "u", "sasl_plain_password": "p"}, timeout=2))
