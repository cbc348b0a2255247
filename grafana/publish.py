"""Push folders, dashboards, the wall playlist and alerting objects to a Grafana server, idempotently.

Every object carries a fixed uid, so publishing twice updates in place: the folder is created once, dashboards are
saved with ``overwrite``, the wall-screen playlist is created or updated by uid, rule groups and templates are PUT,
contact points are created or updated by uid, and the notification policy tree is replaced. The token is never
logged nor put in an error message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from grafana_client.api import GrafanaApi
from grafana_client.client import GrafanaClientError, GrafanaException

from grafana import alerting
from grafana.errors import PublishError
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


def publish(api: Any, artefacts: Artefacts) -> PublishReport:
    """Push everything; return what was created and what was updated."""
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
    for point in artefacts.contact_points:
        uid = point["uid"]
        if uid in known:
            _call(f"contact point {uid}", provisioning.update_contactpoint, uid, point)
            report.updated.append(f"contact-point/{uid}")
        else:
            _call(f"contact point {uid}", provisioning.create_contactpoint, point)
            report.created.append(f"contact-point/{uid}")

    _call("notification policy", provisioning.set_notification_policy_tree, artefacts.policy)
    report.updated.append("policy/root")

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
