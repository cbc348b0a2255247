"""Connectors: turn source systems into Observation v1 records and produce them to Kafka."""
