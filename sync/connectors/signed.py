"""Checking a signed webhook delivery: an HMAC header and a delivery id header, by name."""

from __future__ import annotations

from collections.abc import Mapping

from sync.connectors.base import Connector, WebhookRejected


def header(headers: Mapping[str, str], name: str) -> str:
    """A header by name, whatever its case (stored events keep the sender's spelling)."""
    lower = name.lower()
    for key, value in headers.items():
        if key.lower() == lower:
            return value
    return ""


def verify_signed(
    *, headers: Mapping[str, str], body: bytes, secret: str, signature_header: str, delivery_header: str
) -> str:
    """The delivery id of a delivery whose `signature_header` is sha256=<HMAC of the body>.

    Raises WebhookRejected: 401 without a secret to check against, or with a
    missing or wrong signature; 400 without a delivery id to deduplicate by.
    """
    if not secret:
        raise WebhookRejected("No webhook secret is set for this connection; unsigned deliveries are refused.")
    if not Connector.signature_matches(secret=secret, body=body, signature=header(headers, signature_header)):
        raise WebhookRejected(f"The {signature_header} header is missing or does not match the body.")
    delivery = header(headers, delivery_header)
    if not delivery:
        raise WebhookRejected(f"The {delivery_header} header is missing.", status=400)
    return delivery
