"""Push and build webhooks from GitHub and GitLab: verified, stored once per delivery id, acted on.

GitHub signs the body (X-Hub-Signature-256, an HMAC-SHA256 with the shared
secret); GitLab sends the secret itself (X-Gitlab-Token). Both compare in
constant time. A push queues a scan after the delivery is stored; a build
event records the build in the same transaction as the delivery, so a payload
that cannot be read leaves nothing behind.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from releases.code.models import CodeDelivery, Repository
from releases.code.services.builds import build_record
from releases.code.tasks import scan_queue
from sync.connectors.base import Connector
from sync.connectors.signed import header

DELIVERY_MAX = CodeDelivery._meta.get_field("delivery_id").max_length
PUSH_EVENTS = {("github", "push"), ("gitlab", "Push Hook"), ("gitlab", "Tag Push Hook")}
BUILD_EVENTS = {("github", "workflow_run"), ("gitlab", "Pipeline Hook")}


class DeliveryRefused(Exception):
    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Delivery:
    provider: str
    event: str
    delivery_id: str
    duplicate: bool = False
    scan: bool = False
    build: str = ""


def _verify(repository: Repository, headers: Mapping[str, str], body: bytes) -> tuple[str, str, str]:
    """(provider, event, delivery id), or DeliveryRefused."""
    secret = repository.webhook_secret
    if header(headers, "X-GitHub-Event"):
        if not secret:
            raise DeliveryRefused("No webhook secret is set for this repository; unsigned deliveries are refused.")
        if not Connector.signature_matches(secret=secret, body=body, signature=header(headers, "X-Hub-Signature-256")):
            raise DeliveryRefused("The X-Hub-Signature-256 header is missing or does not match the body.")
        return "github", header(headers, "X-GitHub-Event"), header(headers, "X-GitHub-Delivery")
    if header(headers, "X-Gitlab-Event"):
        if not secret:
            raise DeliveryRefused("No webhook secret is set for this repository; unsigned deliveries are refused.")
        token = header(headers, "X-Gitlab-Token")
        if not token or not hmac.compare_digest(token.encode(), secret.encode()):
            raise DeliveryRefused("The X-Gitlab-Token header is missing or wrong.")
        delivery = header(headers, "X-Gitlab-Event-UUID") or header(headers, "X-Gitlab-Webhook-UUID")
        return "gitlab", header(headers, "X-Gitlab-Event"), delivery
    raise DeliveryRefused("Only GitHub and GitLab webhooks are understood here.", status=400)


def _github_build(payload: dict) -> dict:
    run = payload.get("workflow_run")
    if not isinstance(run, dict):
        raise ValidationError({"workflow_run": "The payload has no workflow_run object."})
    if run.get("status") == "completed":
        status = "passed" if run.get("conclusion") == "success" else "failed"
    else:
        status = "running"
    name = str(run.get("name") or "workflow")[:40]
    return {
        "commit": run.get("head_sha"), "number": f"{name} #{run.get('run_number', run.get('id'))}",
        "url": run.get("html_url") or "", "status": status,
    }


GITLAB_STATUS = {"success": "passed", "failed": "failed", "canceled": "failed", "skipped": "failed"}


def _gitlab_build(payload: dict) -> dict:
    attributes = payload.get("object_attributes")
    if not isinstance(attributes, dict):
        raise ValidationError({"object_attributes": "The payload has no object_attributes object."})
    return {
        "commit": attributes.get("sha"), "number": f"pipeline {attributes.get('iid') or attributes.get('id')}",
        "url": attributes.get("url") or "", "status": GITLAB_STATUS.get(str(attributes.get("status")), "running"),
    }


def code_webhook_receive(*, repository: Repository, headers: Mapping[str, str], body: bytes) -> Delivery:
    """Verify and act on a delivery. Raises DeliveryRefused (401 or 400, nothing stored) or ValidationError (400)."""
    provider, event, delivery_id = _verify(repository, headers, body)
    if not delivery_id:
        raise DeliveryRefused("The delivery id header is missing.", status=400)
    if len(delivery_id) > DELIVERY_MAX:
        raise DeliveryRefused(f"The delivery id is longer than {DELIVERY_MAX} characters.", status=400)
    result = Delivery(provider=provider, event=event, delivery_id=delivery_id)
    try:
        payload = json.loads(body or b"{}")
    except (ValueError, RecursionError):
        raise DeliveryRefused("The body is not JSON.", status=400) from None
    if not isinstance(payload, dict):
        raise DeliveryRefused("The body is not a JSON object.", status=400)
    try:
        with transaction.atomic():
            CodeDelivery.objects.create(repository=repository, delivery_id=delivery_id, event=event[:60])
            if (provider, event) in BUILD_EVENTS:
                fields = _github_build(payload) if provider == "github" else _gitlab_build(payload)
                build, _ = build_record(
                    repository=repository, actor=None, channel=provider, source=provider, **fields
                )
                result.build = build.number
    except IntegrityError:
        result.duplicate = True
        return result
    if (provider, event) in PUSH_EVENTS:
        scan_queue(repository=repository)
        result.scan = True
    return result
