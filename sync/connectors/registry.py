"""Which class serves which tracker kind. Classes are imported on first use, so a
tracker's client library is only loaded when a connection of that kind exists."""

from __future__ import annotations

from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING

from sync.config import connection_config

if TYPE_CHECKING:
    from sync.connectors.base import Connector
    from sync.models import Connection

CONNECTORS: dict[str, str] = {
    "redmine": "sync.connectors.redmine.RedmineConnector",
    "jira": "sync.connectors.jira.JiraConnector",
    "github": "sync.connectors.github.GitHubConnector",
    "gitlab": "sync.connectors.gitlab.GitLabConnector",
}


@cache
def connector_class(kind: str) -> type[Connector]:
    try:
        path = CONNECTORS[kind]
    except KeyError:
        raise LookupError(f"No connector for tracker kind {kind!r}.") from None
    module, _, name = path.rpartition(".")
    return getattr(import_module(module), name)


def connector_for(connection: Connection) -> Connector:
    cls = connector_class(connection.kind)
    return cls(
        base_url=connection.base_url,
        token=connection.token,
        project=connection.project,
        config=connection_config(connection),
    )
