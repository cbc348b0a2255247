"""Builders of the dashboards, one module per kind of dashboard."""
