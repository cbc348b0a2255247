"""Source configurations: one YAML file per source, validated at start with errors naming the file and field.

A file looks like this (every type has its own ``options``; see the README)::

    type: http_json            # http_json | sql | file_drop | webhook | simulator
    enabled: true
    schedule: {interval: 300}  # seconds, or {cron: "*/15 * * * *"}
    timeout: 30
    auth: {type: bearer, token_env: IGATE_TOKEN}   # names of environment variables, never values
    fields: {unit: donVi, ts: ngayCapNhat}               # where each record keeps its unit and time
    metrics: {daTiepNhan: dossier.received}               # source field (or name) → catalog metric code
    units: {aliases: {"VP UBND": VPUBND}}                  # extra names → unit codes, besides the catalog's
    options: {url: "https://…/api/thong-ke"}

A source of task progress reports (``file_drop`` or ``webhook``) says ``produces: task_reports``; it maps no
metrics, and ``tasks`` may add header names or state words to those it knows (see :mod:`connectors.tasks`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from connectors.errors import ConfigError
from connectors.numbers import NumberFormat
from index_engine.catalog import Catalog, MetricKind
from index_engine.task_report import TaskState

SourceType = Literal["http_json", "sql", "file_drop", "webhook", "simulator"]
Produces = Literal["observations", "task_reports"]
TASK_SOURCE_TYPES: frozenset[str] = frozenset({"file_drop", "webhook"})
DEFAULT_SOURCES = Path(__file__).parent / "sources"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Schedule(_Strict):
    """When to poll: every ``interval`` seconds, or on a cron expression (in the source's ``timezone``)."""

    interval: float | None = Field(None, gt=0)
    cron: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Schedule:
        if (self.interval is None) == (self.cron is None):
            raise ValueError("give exactly one of 'interval' or 'cron'")
        if self.cron is not None and not croniter.is_valid(self.cron):
            raise ValueError(f"{self.cron!r} is not a cron expression")
        return self


class NoAuth(_Strict):
    """No credential."""

    type: Literal["none"] = "none"


class BearerAuth(_Strict):
    """``Authorization: Bearer <token>`` with the token read from the environment variable ``token_env``."""

    type: Literal["bearer"]
    token_env: str


class BasicAuth(_Strict):
    """HTTP basic authentication; user and password from environment variables."""

    type: Literal["basic"]
    username_env: str
    password_env: str


class ApiKeyAuth(_Strict):
    """An API key sent in a header (or query parameter) named ``name``."""

    type: Literal["api_key"]
    key_env: str
    name: str = "X-API-Key"
    location: Literal["header", "query"] = "header"


class HmacAuth(_Strict):
    """The shared secret of a pushing source (webhook), read from ``secret_env``."""

    type: Literal["hmac"]
    secret_env: str


Auth = Annotated[NoAuth | BearerAuth | BasicAuth | ApiKeyAuth | HmacAuth, Field(discriminator="type")]


class Fields(_Strict):
    """Where each record keeps its parts: dotted JSON paths, column names or header texts.

    Wide records carry one field per metric (``metrics`` maps field → metric). Long records carry a metric name
    in ``metric`` and its count in ``value`` (``metrics`` maps name → metric).
    """

    unit: str | None = None
    ts: str | None = None
    id: str | None = None
    metric: str | None = None
    value: str | None = None
    unit_constant: str | None = Field(None, description="Unit code for every record when records carry no unit.")

    @model_validator(mode="after")
    def _shape(self) -> Fields:
        if (self.metric is None) != (self.value is None):
            raise ValueError("'metric' and 'value' go together (long records)")
        if self.unit is None and self.unit_constant is None:
            raise ValueError("give 'unit' (a field) or 'unit_constant' (a unit code)")
        return self


class Units(_Strict):
    """Extra unit names the source uses → catalog unit codes (catalog names are matched without these)."""

    aliases: dict[str, str] = Field(default_factory=dict)


class TaskFields(_Strict):
    """Names a task-report source uses besides the Vietnamese and English ones known (header texts or JSON keys).

    ``states`` maps more state words (``Tạm dừng``) to a TaskReport state.
    """

    task: list[str] = Field(default_factory=list)
    progress: list[str] = Field(default_factory=list)
    state: list[str] = Field(default_factory=list)
    date: list[str] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)
    note: list[str] = Field(default_factory=list)
    id: list[str] = Field(default_factory=list)
    states: dict[str, TaskState] = Field(default_factory=dict)


class RetryPolicy(_Strict):
    """Backoff and circuit breaker of one source."""

    backoff_initial: float = Field(1.0, gt=0)
    backoff_max: float = Field(300.0, gt=0)
    breaker_failures: int = Field(5, ge=1, description="Consecutive failures that open the breaker.")
    breaker_reset: float = Field(300.0, gt=0, description="Seconds the breaker stays open before a trial poll.")


class SourceConfig(_Strict):
    """One source, as its YAML file declares it."""

    name: str
    file: str
    type: SourceType
    enabled: bool = True
    schedule: Schedule = Schedule(interval=300)
    timeout: float = Field(30, gt=0)
    auth: Auth = NoAuth()
    produces: Produces = Field("observations", description="Observation v1 records, or TaskReport v1 records.")
    kind: MetricKind | None = Field(None, description="Expected kind of every metric (checked against the catalog).")
    fields: Fields = Fields(unit_constant="QN")
    metrics: dict[str, str] = Field(default_factory=dict)
    units: Units = Units()
    number_format: NumberFormat = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    retry: RetryPolicy = RetryPolicy()
    options: dict[str, Any] = Field(default_factory=dict)
    tasks: TaskFields = TaskFields()

    @model_validator(mode="after")
    def _task_reports(self) -> SourceConfig:
        if self.produces != "task_reports":
            return self
        if self.type not in TASK_SOURCE_TYPES:
            raise ValueError(f"a {self.type} source cannot produce task reports (file_drop and webhook can)")
        if self.metrics or self.kind is not None:
            raise ValueError("a source of task reports maps no metrics: leave 'metrics' and 'kind' out")
        return self

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value or not value.replace("_", "").replace("-", "").isalnum():
            raise ValueError("use letters, digits, '-' and '_' only")
        return value

    def env_names(self) -> list[str]:
        """Names of the environment variables this source reads its credentials from."""
        return [str(v) for k, v in self.auth.model_dump().items() if k.endswith("_env")]


def _location(error: Mapping[str, Any]) -> str:
    return ".".join(str(part) for part in error["loc"]) or "(file)"


def parse_source(path: Path) -> SourceConfig:
    """Read and validate one source file; raise ConfigError naming the file and the field."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(path.name, f"cannot be read as YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(path.name, "must be a mapping of settings")
    data.setdefault("name", path.stem)
    data["file"] = str(path)
    try:
        return SourceConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(path.name, f"{first['msg']}{more}", field=_location(first)) from None


def check_against_catalog(config: SourceConfig, catalog: Catalog) -> None:
    """Check metric codes, kinds and unit aliases against the catalog; raise ConfigError on the first problem."""
    name = Path(config.file).name
    for source_name, code in config.metrics.items():
        metric = catalog.metrics.get(code)
        if metric is None:
            raise ConfigError(name, f"metric {code!r} is not in catalog {catalog.version}", f"metrics.{source_name}")
        if config.kind is not None and metric.kind != config.kind:
            raise ConfigError(name, f"metric {code!r} is {metric.kind} in the catalog, not {config.kind}", "kind")
    for alias, code in config.units.aliases.items():
        if code not in catalog.units:
            raise ConfigError(name, f"unit {code!r} is not in catalog {catalog.version}", f"units.aliases.{alias}")
    if config.fields.unit_constant is not None and config.fields.unit_constant not in catalog.units:
        raise ConfigError(name, f"unit {config.fields.unit_constant!r} is not in the catalog", "fields.unit_constant")
    try:
        dt.datetime.now(dt.UTC).astimezone(_zone(config.timezone))
    except Exception:
        raise ConfigError(name, f"{config.timezone!r} is not a time zone", "timezone") from None


def _zone(name: str) -> dt.tzinfo:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def load_sources(folder: Path) -> dict[str, SourceConfig]:
    """Every ``*.yaml`` source in ``folder`` by name; raise ConfigError on the first invalid file."""
    if not folder.is_dir():
        raise ConfigError(str(folder), "folder of source configurations is missing")
    sources: dict[str, SourceConfig] = {}
    for path in sorted(folder.glob("*.yaml")):
        config = parse_source(path)
        if config.name in sources:
            raise ConfigError(path.name, f"source name {config.name!r} is already used", "name")
        sources[config.name] = config
    return sources
