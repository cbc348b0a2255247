"""``qndti worker``: one worker process of the group."""

from __future__ import annotations

import asyncio
import logging
import sys

import typer

from qndti.commands import check_database_login, check_kafka_login, settings
from streams import interpreter
from streams.errors import WorkerStuck
from streams.worker import Worker, WorkerConfig

log = logging.getLogger("qndti.worker")


def run(
    web_port: int | None = typer.Option(None, help="Port of /metrics and /healthz (default QNDTI_WORKER_WEB_PORT)."),
    loglevel: str = typer.Option("warning", help="Log level: debug, info, warning or error."),
) -> None:
    """Run a worker: validate observations, keep unit state, roll up, write indicator values."""
    logging.basicConfig(level=loglevel.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # aiokafka logs every group join at info level and each fetch error at warning; keep only its warnings.
    logging.getLogger("aiokafka").setLevel(max(logging.WARNING, logging.getLogger().level))
    config = settings()
    worker_config = WorkerConfig(
        kafka_bootstrap=config.bootstrap(),
        database_url=config.database(),
        group=config.worker_id,
        topics=config.topics(),
        partitions=config.partitions,
        web_host=config.worker_web_host,
        web_port=web_port or config.worker_web_port,
        bucket=config.bucket,
        sink_mode=config.sink_mode,
        store_observations=config.store_observations,
        batch_size=config.worker_batch_size,
        batch_wait=config.worker_batch_within,
        stale_interval=config.worker_stale_interval,
        retry_budget=config.worker_retry_budget,
        database_timeout=config.worker_database_timeout,
        session_timeout=config.worker_session_timeout,
        kafka_options=config.kafka_client_options(),
    )
    asyncio.run(check_kafka_login(config))
    check_database_login(config)
    catalog = config.catalog()
    interpreter.tune()
    try:
        asyncio.run(Worker(worker_config, catalog).run())
    except WorkerStuck as exc:
        log.error("stopping: %s", exc)
        sys.exit(1)
