"""``http_json``: poll a JSON API over HTTP(S) with httpx.

Options::

    url: https://dvc.quangninh.gov.vn/api/thong-ke   # required
    method: GET                      # or POST (with ``body``)
    params: {}                       # query parameters
    body: {}                         # JSON body of a POST
    headers: {}                      # extra headers (no secrets: use ``auth``)
    records: data.items              # dotted path to the list of records; "" when the body is the list
    pagination: {type: page, param: page, start: 1, size_param: size, size: 100}
                # type: none | page | offset (param, size_param, size) | cursor (param, next: path) | link
    max_pages: 1000
    conditional: true                # send If-None-Match / If-Modified-Since from the last answer
    watermark_param: since           # send the newest record time already produced as this query parameter
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict

from connectors.base import Batch, parse_options, secret
from connectors.checkpoint import Checkpoint
from connectors.config import ApiKeyAuth, BasicAuth, BearerAuth, SourceConfig
from connectors.errors import ConfigError, SourceAuthFailed, SourceResponseInvalid, SourceTimeout, SourceUnavailable
from connectors.mapping import Mapped, Mapper, get_path
from connectors.revisions import remember
from index_engine.catalog import Catalog


class Pagination(BaseModel):
    """How the API splits its answer into pages."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["none", "page", "offset", "cursor", "link"] = "none"
    param: str = "page"
    start: int = 1
    size_param: str | None = None
    size: int = 100
    next: str = "next_cursor"


class HttpJsonOptions(BaseModel):
    """Options of an ``http_json`` source."""

    model_config = ConfigDict(extra="forbid")

    url: str
    method: Literal["GET", "POST"] = "GET"
    params: dict[str, str | int] = {}
    body: dict[str, Any] | None = None
    headers: dict[str, str] = {}
    records: str = ""
    pagination: Pagination = Pagination()
    max_pages: int = 1000
    conditional: bool = True
    watermark_param: str | None = None


class HttpJsonConnector:
    """Polls one JSON API."""

    def __init__(
        self,
        config: SourceConfig,
        catalog: Catalog,
        env: Mapping[str, str],
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self.options = parse_options(config, HttpJsonOptions)
        if not self.options.url.startswith(("http://", "https://")):
            raise ConfigError(config.file.rsplit("/", 1)[-1], "must start with http:// or https://", "options.url")
        self.mapper = Mapper(config, catalog)
        headers = {"Accept": "application/json", **self.options.headers}
        params: dict[str, str | int] = {}
        auth: httpx.Auth | None = None
        match config.auth:
            case BearerAuth(token_env=name):
                headers["Authorization"] = f"Bearer {secret(config, env, name)}"
            case BasicAuth(username_env=user, password_env=password):
                auth = httpx.BasicAuth(secret(config, env, user), secret(config, env, password))
            case ApiKeyAuth(key_env=name, name=key_name, location="header"):
                headers[key_name] = secret(config, env, name)
            case ApiKeyAuth(key_env=name, name=key_name, location="query"):
                params[key_name] = secret(config, env, name)
        self._params = params
        self.client = httpx.AsyncClient(
            headers=headers, auth=auth, timeout=config.timeout, transport=transport, follow_redirects=True
        )

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self.client.aclose()

    async def _get(self, url: str, params: dict[str, str | int], headers: dict[str, str]) -> httpx.Response:
        try:
            if self.options.method == "POST":
                # An empty ``params`` would drop the query of a link-header URL: pass None then.
                response = await self.client.post(url, params=params or None, json=self.options.body, headers=headers)
            else:
                response = await self.client.get(url, params=params or None, headers=headers)
        except httpx.TimeoutException:
            raise SourceTimeout(self.config.name, f"no answer within {self.config.timeout:g} s") from None
        except httpx.TransportError as exc:
            raise SourceUnavailable(self.config.name, f"cannot connect: {type(exc).__name__}") from None
        status = response.status_code
        if status in (401, 403):
            raise SourceAuthFailed(self.config.name, f"HTTP {status}: the credential was refused (expired?)")
        if status == 429 or status >= 500:
            raise SourceUnavailable(self.config.name, f"HTTP {status} from {response.url.copy_with(query=None)}")
        if status >= 400:
            raise SourceResponseInvalid(self.config.name, f"HTTP {status} from {response.url.copy_with(query=None)}")
        return response

    def _records(self, response: httpx.Response, page: int) -> tuple[Any, list[Mapping[str, Any]]]:
        try:
            body = response.json()
        except ValueError:
            raise SourceResponseInvalid(self.config.name, f"page {page}: the answer is not JSON") from None
        records = get_path(body, self.options.records) if self.options.records else body
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise SourceResponseInvalid(
                self.config.name,
                f"page {page}: no list of records at {self.options.records or '(body)'!r} (has the format changed?)",
            )
        return body, records

    async def poll(self, checkpoint: Checkpoint, now: dt.datetime) -> Batch:
        """Read every page; a 304 on the first page means nothing changed."""
        opts, paging = self.options, self.options.pagination
        params: dict[str, str | int] = {**opts.params, **self._params}
        if opts.watermark_param and checkpoint.get("watermark"):
            params[opts.watermark_param] = str(checkpoint["watermark"])
        conditional: dict[str, str] = {}
        if opts.conditional and checkpoint.get("etag"):
            conditional["If-None-Match"] = str(checkpoint["etag"])
        if opts.conditional and checkpoint.get("last_modified"):
            conditional["If-Modified-Since"] = str(checkpoint["last_modified"])
        if paging.size_param:
            params[paging.size_param] = paging.size
        url, page, position, cursor = opts.url, 1, paging.start if paging.type == "page" else 0, None
        mapped = Mapped()
        new = dict(checkpoint)
        while True:
            if paging.type in ("page", "offset"):
                params[paging.param] = position
            elif paging.type == "cursor" and cursor is not None:
                params[paging.param] = cursor
            response = await self._get(url, params, conditional if page == 1 else {})
            if page == 1 and response.status_code == 304:
                return Batch([], checkpoint, not_modified=True)
            if page == 1:
                new.pop("etag", None)
                new.pop("last_modified", None)
                if "etag" in response.headers:
                    new["etag"] = response.headers["etag"]
                if "last-modified" in response.headers:
                    new["last_modified"] = response.headers["last-modified"]
            body, records = self._records(response, page)
            mapped.extend(self.mapper.map(records, now, label=f"page {page}, record"))
            if paging.type == "none" or page >= opts.max_pages:
                break
            if paging.type in ("page", "offset"):
                if len(records) < paging.size or not records:
                    break
                position += 1 if paging.type == "page" else len(records)
            elif paging.type == "cursor":
                cursor = get_path(body, paging.next)
                if not cursor or not isinstance(cursor, str | int):
                    break
            elif paging.type == "link":
                following = response.links.get("next", {}).get("url")
                if not following or following == url:
                    break
                url, params = following, dict(self._params)
            page += 1
        batch = Batch.of(mapped, new)
        batch.observations, batch.checkpoint = remember(batch.observations, new, now)
        if mapped.newest is not None:
            previous = checkpoint.get("watermark")
            newest = mapped.newest.astimezone(dt.UTC).isoformat()
            batch.checkpoint["watermark"] = newest if previous is None or newest > str(previous) else previous
        return batch


def build(config: SourceConfig, catalog: Catalog, env: Mapping[str, str]) -> HttpJsonConnector:
    """An ``http_json`` connector for ``config``."""
    return HttpJsonConnector(config, catalog, env)
