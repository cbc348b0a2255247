"""Connector types by name, and building a source's connector from its configuration."""

from __future__ import annotations

from collections.abc import Mapping

from connectors.base import Connector, PushConnector
from connectors.config import SourceConfig, check_against_catalog
from index_engine.catalog import Catalog

PUSH_TYPES = frozenset({"webhook"})


def build_connector(config: SourceConfig, catalog: Catalog, env: Mapping[str, str]) -> Connector | PushConnector:
    """Check ``config`` against the catalog and build its connector; raise ConfigError naming file and field."""
    check_against_catalog(config, catalog)
    if config.type == "http_json":
        from connectors.adapters import http_json

        return http_json.build(config, catalog, env)
    if config.type == "sql":
        from connectors.adapters import sql

        return sql.build(config, catalog, env)
    if config.type == "file_drop":
        from connectors.adapters import file_drop

        return file_drop.build(config, catalog, env)
    if config.type == "webhook":
        from connectors.adapters import webhook

        return webhook.build(config, catalog, env)
    from connectors.adapters import simulator

    return simulator.build(config, catalog, env)
