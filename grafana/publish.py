"""Push folders, dashboards, the wall playlist and alerting objects to a Grafana server, idempotently.

Every object carries a fixed uid, so publishing twice updates in place: the folder is created once, dashboards are
saved with ``overwrite``, the wall-screen playlist is created or updated by uid, rule groups and templates are
PUT, and contact points are created or updated by uid. Contact points get their addresses from the environment
(``${DTI_ALERT_…}``, as Grafana's provisioning does): a variable that is missing or empty stops the publish before
any request. The server's notification policy tree is kept: the QN-DTI route (``alerting.qndti_route``) is put
first among its routes, replacing only an earlier copy. The token is never logged nor put in an error message.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from grafana_client.api import GrafanaApi
from grafana_client.client import GrafanaClientError, GrafanaException

from grafana import alerting
from grafana.errors import MissingVariables, PublishError
from grafana.generate import Artefacts

log = logging.getLogger(__name__)


@dataclass
class PublishReport:
    """What one publish did, per kind of object."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)


def connect(url: str, token: str, timeout: float = 10.0) -> Any:
    """A client (``GrafanaApi``) for the Grafana at ``url`` authenticated by a service-account token."""
    return GrafanaApi.from_url(url=url, credential=token, timeout=timeout)


def _call(what: str, action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return action(*args, **kwargs)
    except GrafanaException as exc:
        raise PublishError(f"{what}: Grafana answered {exc.status_code}: {exc.message}") from None
    except OSError as exc:
        raise PublishError(f"{what}: {type(exc).__name__}: {exc}") from None


def _exists(what: str, action: Callable[..., Any], *args: Any) -> bool:
    try:
        action(*args)
    except GrafanaClientError as exc:
        if exc.status_code == 404:
            return False
        raise PublishError(f"{what}: Grafana answered {exc.status_code}: {exc.message}") from None
    return True


PLACEHOLDER: Final = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")
"""``${NAME}``: a value taken from the environment variable NAME."""


def substitute(value: Any, environ: Mapping[str, str]) -> Any:
    """``value`` with each ``${NAME}`` replaced from ``environ``; :class:`MissingVariables` if any is unset."""
    missing: set[str] = set()

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return PLACEHOLDER.sub(lambda m: lookup(m.group(1)), item)
        if isinstance(item, list):
            return [walk(v) for v in item]
        if isinstance(item, dict):
            return {k: walk(v) for k, v in item.items()}
        return item

    def lookup(name: str) -> str:
        found = environ.get(name, "")
        if not found.strip():
            missing.add(name)
        return found

    done = walk(value)
    if missing:
        raise MissingVariables(sorted(missing))
    return done


def _is_ours(route: Mapping[str, Any]) -> bool:
    return list(alerting.ROUTE_MATCHER) in (route.get("object_matchers") or [])


def merged_policy(tree: Mapping[str, Any], route: Mapping[str, Any]) -> dict[str, Any]:
    """The server's policy tree with the QN-DTI ``route`` first among its routes and no earlier copy of it."""
    merged = copy.deepcopy(dict(tree))
    others = [r for r in merged.get("routes") or [] if not _is_ours(r)]
    merged["routes"] = [copy.deepcopy(dict(route)), *others]
    return merged


def publish(api: Any, artefacts: Artefacts, environ: Mapping[str, str]) -> PublishReport:
    """Push everything, with contact-point values from ``environ``; return what was created and what was updated."""
    points = substitute(artefacts.contact_points, environ)
    report = PublishReport()
    provisioning = api.alertingprovisioning
    folder = alerting.FOLDER_UID
    if _exists("folder", api.folder.get_folder, folder):
        _call("folder", api.folder.update_folder, folder, title=alerting.FOLDER_TITLE, overwrite=True)
        report.updated.append(f"folder/{folder}")
    else:
        _call("folder", api.folder.create_folder, alerting.FOLDER_TITLE, uid=folder)
        report.created.append(f"folder/{folder}")

    for uid, board in sorted(artefacts.dashboards.items()):
        body = {"dashboard": board, "folderUid": folder, "overwrite": True, "message": "qndti grafana publish"}
        _call(f"dashboard {uid}", api.dashboard.update_dashboard, body)
        report.updated.append(f"dashboard/{uid}")

    if artefacts.playlist is not None:
        _publish_playlist(api, artefacts.playlist, report)

    for template in artefacts.templates:
        name = template["name"]
        _call(f"template {name}", provisioning.create_or_update_template, name, {"template": template["template"]})
        report.updated.append(f"template/{name}")

    existing = _call("contact points", provisioning.get_contactpoints) or []
    known = {p.get("uid") for p in existing}
    for point in points:
        uid = point["uid"]
        if uid in known:
            _call(f"contact point {uid}", provisioning.update_contactpoint, uid, point)
            report.updated.append(f"contact-point/{uid}")
        else:
            _call(f"contact point {uid}", provisioning.create_contactpoint, point)
            report.created.append(f"contact-point/{uid}")

    tree = _call("notification policy", provisioning.get_notification_policy_tree) or {}
    _call("notification policy", provisioning.set_notification_policy_tree, merged_policy(tree, artefacts.route))
    report.updated.append("policy/qndti-route")

    for group in artefacts.rule_groups:
        title = group["title"]
        _call(f"rule group {title}", provisioning.update_rule_group, folder, title, group)
        report.updated.append(f"rule-group/{title}")
    log.info("published %d objects to Grafana", len(report.created) + len(report.updated))
    return report


def _publish_playlist(api: Any, playlist: dict[str, Any], report: PublishReport) -> None:
    """Create or update the wall-screen playlist by its uid (grafana-client has no playlist API: raw calls)."""
    uid = playlist["uid"]
    if _exists(f"playlist {uid}", api.client.GET, f"/playlists/{uid}"):
        _call(f"playlist {uid}", api.client.PUT, f"/playlists/{uid}", json=playlist)
        report.updated.append(f"playlist/{uid}")
    else:
        _call(f"playlist {uid}", api.client.POST, "/playlists", json=playlist)
        report.created.append(f"playlist/{uid}")
