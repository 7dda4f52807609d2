"""This installation's identity: its id, and a secret that only it knows.

Trackers are shared: an outsider can open issues in a public repository, and a
second Handoff (a staging copy, another company's) may sync with the same
project. The portal signs what it writes on the issues it creates with this
secret, and trusts on an issue only what carries its own signature.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid

from django.db import IntegrityError, transaction

from core.models import Installation

SIGNATURE_HEX = 32  # 128 bits of the HMAC: far beyond guessing, short enough to read in a footer


_cached: Installation | None = None


def installation() -> Installation:
    """The installation row, made on first use.

    Kept in memory once read outside a transaction: the row never changes once
    committed. Inside one it is read each time, since a row made there would be
    lost with a rollback while a cached copy lived on.
    """
    global _cached
    if _cached is not None:
        return _cached
    found = Installation.objects.filter(singleton=True).first()
    if found is None:
        try:
            with transaction.atomic():
                found = Installation.objects.create(id=uuid.uuid4(), secret=secrets.token_hex(32))
        except IntegrityError:
            # Another worker made it first: the unique singleton column refused ours.
            found = Installation.objects.get(singleton=True)
    if not transaction.get_connection().in_atomic_block:
        _cached = found
    return found


def installation_forget() -> None:
    """Drop the copy kept in memory (tests that stand up a second installation)."""
    global _cached
    _cached = None


def defect_signature(defect_key: str, *, of: Installation | None = None) -> str:
    """`<short installation id>:<HMAC-SHA256 of the installation id and the key>`, truncated.

    Only the installation's secret makes it, so an outsider cannot write it on
    an issue for a key, and it differs between two installations.
    """
    owner = of or installation()
    message = f"{owner.id}:{defect_key}".encode()
    digest = hmac.new(owner.secret.encode(), message, hashlib.sha256).hexdigest()[:SIGNATURE_HEX]
    return f"{owner.id.hex[:8]}:{digest}"


def signature_matches(defect_key: str, candidate: str, *, of: Installation | None = None) -> bool:
    """Whether `candidate` is this installation's signature of `defect_key` (constant-time)."""
    return hmac.compare_digest(defect_signature(defect_key, of=of).encode(), (candidate or "").encode())
