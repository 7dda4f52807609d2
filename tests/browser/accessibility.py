"""Running axe-core (the vendored copy in tests/browser/vendor/axe-core/) on the page a test has open."""

import hashlib
from functools import cache
from pathlib import Path

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
AXE_VERSION = "4.14.1"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
# What fails a test: the impacts axe-core ranks highest.
BLOCKING = {"serious", "critical"}


@cache
def axe_source() -> str:
    source = AXE.read_bytes()
    assert hashlib.sha256(source).hexdigest() == AXE_SHA256, f"{AXE} is not axe-core {AXE_VERSION} as vendored"
    return source.decode()


def axe_violations(page) -> list[dict]:
    """The serious and critical violations axe-core finds on the page, each as
    {"id", "impact", "help", "targets"}.

    The script is evaluated through the browser's debugging protocol, not added as a
    <script> element, so the page's Content-Security-Policy neither blocks it nor
    needs to allow it.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    results = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations'],"
        " runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"][:5]],
        }
        for violation in results["violations"]
        if violation["impact"] in BLOCKING
    ]
