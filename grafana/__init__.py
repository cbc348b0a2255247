"""Grafana as code for QN-DTI Monitor: dashboards, alert rules and provisioning, generated and published."""
