"""Attaching a defect to an issue that already exists in a tracker, instead of creating one.

An engineer names the issue by key or URL ("HD-12", "https://x.atlassian.net/browse/HD-12",
"acme/billing#7", a Redmine issue URL). From then on the pair syncs like any other:

- the tracker keeps its status and release (engineers move work there): they are
  applied to the defect now, through the portal's services, audited as the tracker;
- the portal keeps its title and severity (the help desk's report and customer
  impact): the tracker's priority is set from the defect's severity;
- the tracker issue is given the portal key and link (Jira label and remote link,
  GitHub footer, Redmine footer or field) by an ordinary outbox row;
- comments already on the issue stay in the tracker; only new ones cross.
A create still waiting in the outbox for that tracker is superseded.
"""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import audit_record
from core.redact import redact
from defects.models import Defect
from sync.config import connection_config
from sync.connectors import connector_for
from sync.connectors.base import ConnectorError, RejectedChange, TrackerIssue
from sync.models import Connection, ExternalIssue, OutboxItem, SyncLedger
from sync.outbox import outbox_enqueue
from sync.services.provenance import LINK
from sync.services.pull import issue_apply
from sync.services.translate import normalize_text

Kind = OutboxItem.Kind
Status = OutboxItem.Status


def _check_free(defect: Defect, connection: Connection) -> None:
    twin = ExternalIssue.objects.filter(defect=defect, connection=connection).first()
    if twin is not None:
        raise ValidationError({"reference": f"{defect.key} is already linked to {twin.key} in {connection.name}."})
    if OutboxItem.objects.filter(defect=defect, connection=connection, kind=Kind.CREATE,
                                 status=Status.CLAIMED).exists():
        raise ValidationError({"reference": f"{defect.key} is being created in {connection.name} right now."})


def _lookup(connection: Connection, reference: str) -> TrackerIssue:
    try:
        return connector_for(connection).lookup(reference)
    except RejectedChange as exc:
        raise ValidationError({"reference": redact(exc.message, connection.token)}) from None
    except ConnectorError as exc:
        message = redact(exc.message, connection.token)
        if exc.permanent and "404" in message:
            message = f"No issue {reference.strip()} in {connection.name}, or the connection may not see it."
        raise ValidationError({"reference": message}) from None


def defect_link_existing(
    *, defect: Defect, connection: Connection, reference: str, actor, channel: str
) -> ExternalIssue:
    """Make the tracker issue named by `reference` the twin of `defect` in `connection`.

    Raises ValidationError keyed by "reference" or "connection": a paused or
    disabled connection, a defect already linked there, an issue that does not
    exist, is in another project, or is already another defect's twin.
    The tracker is read first, outside any transaction: the engineer learns at
    once whether the key exists, and no database lock waits on the network.
    """
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError({"reference": "Give the issue's key or URL."})
    if not connection.is_active:
        raise ValidationError({"connection": f"{connection.name} is paused or disabled."})
    _check_free(defect, connection)
    issue = _lookup(connection, reference)
    with transaction.atomic():
        defect = Defect.objects.select_for_update().get(pk=defect.pk)
        _check_free(defect, connection)
        taken = ExternalIssue.objects.filter(connection=connection, external_id=issue.twin.external_id).first()
        if taken is not None:
            raise ValidationError(
                {"reference": f"{issue.twin.key} is already linked to {taken.subject_key}."}
            )
        # The portal's own title and severity are not overwritten by the tracker's.
        # The description too: the tracker keeps its own text until it is edited there.
        synced = {name: issue.fields[name] for name in ("title", "priority") if name in issue.fields}
        if "description" in issue.fields:
            synced["description"] = normalize_text(issue.fields["description"])
        twin = ExternalIssue.objects.create(
            defect=defect, connection=connection, external_id=issue.twin.external_id, key=issue.twin.key,
            url=issue.twin.url, synced=synced, tracker_updated_at=issue.updated_at,
        )
        for comment in issue.comments:
            SyncLedger.objects.get_or_create(
                connection=connection, direction=SyncLedger.Direction.INBOUND, external_id=comment.id,
                defaults={"body_sha256": hashlib.sha256(normalize_text(comment.body).encode()).hexdigest()},
            )
        OutboxItem.objects.filter(defect=defect, connection=connection, kind=Kind.CREATE,
                                  status=Status.PENDING).update(
            status=Status.DONE, done_at=timezone.now(), note=f"Superseded: linked to {twin.key}."
        )
        audit_record(obj=defect, actor=actor, channel=channel, action="linked", field="tracker",
                     new=f"{twin.key} in {connection.name}")
        # An empty fields row makes the connector put the portal key and link on the issue.
        outbox_enqueue(defect=defect, kind=Kind.FIELDS, payload={"link": twin.key}, channel=channel)
        outbox_enqueue(defect=defect, kind=Kind.SEVERITY, payload={"severity": defect.severity}, channel=channel)
    # The tracker's status and release reach the defect like any pulled change.
    issue_apply(connection=connection, config=connection_config(connection), issue=issue, fresh=True, via=LINK)
    return twin
