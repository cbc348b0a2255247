"""``qndti worker``: the Faust worker."""

from __future__ import annotations

import asyncio

import typer

from qndti.commands import settings
from streams.app import WorkerConfig, create_app
from streams.topics import ensure_topics


def run(
    web_port: int | None = typer.Option(None, help="Port of /metrics and /healthz (default QNDTI_WORKER_WEB_PORT)."),
    loglevel: str = typer.Option("warning", help="Faust log level."),
) -> None:
    """Run a worker: validate observations, keep unit state, roll up, write indicator values."""
    import faust

    config = settings()
    asyncio.run(ensure_topics(config.bootstrap(), config.topics(), config.partitions))
    worker_config = WorkerConfig(
        kafka_bootstrap=config.bootstrap(),
        database_url=config.database(),
        app_id=config.worker_id,
        topics=config.topics(),
        partitions=config.partitions,
        data_dir=config.stack_dir.resolve() / "worker" / config.worker_id,
        table_store=config.worker_store,
        web_host=config.worker_web_host,
        web_port=web_port or config.worker_web_port,
        bucket=config.bucket,
        sink_mode=config.sink_mode,
        store_observations=config.store_observations,
        batch_size=config.worker_batch_size,
        batch_within=config.worker_batch_within,
        exit_on_stall=config.worker_exit_on_stall,
        stall_patience=config.worker_stall_patience,
    )
    worker_config.data_dir.mkdir(parents=True, exist_ok=True)
    app = create_app(worker_config, config.catalog())
    worker = faust.Worker(app, loglevel=loglevel)
    # Faust's terminal spinner turns with every log record, so it sets the root logger to DEBUG: every debug
    # call of Faust and aiokafka (several per message sent) would then build a record only to drop it.
    worker.spinner = None
    worker.execute_from_commandline()
