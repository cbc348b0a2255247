"""Errors of the Grafana package.

Hierarchy::

    GrafanaError
    ├── QueryExpansionError   a query uses a macro or variable that cannot be expanded
    ├── GeneratedFilesStale   committed JSON/YAML differs from what the builders produce
    └── PublishError          the Grafana HTTP API refused a request (never carries the token)
        └── MissingVariables  a value to publish names an environment variable that is not set
"""


class GrafanaError(Exception):
    """Base class of the errors of the Grafana package."""


class QueryExpansionError(GrafanaError):
    """A query uses a macro or template variable that cannot be expanded."""


class GeneratedFilesStale(GrafanaError):
    """Committed generated files differ from what the builders produce."""

    def __init__(self, paths: list[str]) -> None:
        super().__init__("generated files differ from the code; run `qndti grafana build`: " + ", ".join(paths))
        self.paths = paths


class PublishError(GrafanaError):
    """The Grafana HTTP API refused a request."""


class MissingVariables(PublishError):
    """A contact point names environment variables (``${NAME}``) that are unset or empty; nothing was sent."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(
            "thiếu biến môi trường / environment variables not set: " + ", ".join(names) + " (nothing was published)"
        )
        self.names = names
