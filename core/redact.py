"""Secrets kept out of the messages people read and the logs keep."""

import re

# A part of a secret this short is written *** only where it stands alone: a one-letter test
# token replaced everywhere turned "ConnectionError" into "Connec***ionError".
SHORT = 4


def redact(text: str, secret: str | None) -> str:
    """`text` with `secret` written ***, and each `:`-separated part of it (Jira's email:token,
    a git credential's user:password), longest first."""
    secret = (secret or "").strip()
    for part in sorted({secret, *secret.split(":")}, key=len, reverse=True):
        if not part:
            continue
        if len(part) >= SHORT:
            text = text.replace(part, "***")
        else:
            text = re.sub(rf"(?<!\w){re.escape(part)}(?!\w)", "***", text)
    return text
