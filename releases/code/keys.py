"""What a commit message says about defects: which keys it names, and with which word.

`fixes`, `closes`, `resolves` (any tense) before a key make a fixing commit;
`refs`, `see`, `re` only link, and so does a bare `DEF-123`. An issue number
(`#12`, `owner/repo#12`, `group/project#12`) needs one of those words before it: "Merge pull
request #12" names a pull request, not an issue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FIXES = "fixes"
REFS = "refs"

# DEF-123, BILL-45: a project key in capitals, a dash, a number.
PROJECT_KEY = re.compile(r"(?<![\w-])([A-Z][A-Z0-9_]{0,19}-[1-9]\d{0,9})(?![\w-])")
# #12, owner/repo#12 (GitHub) or group/subgroup/project#12 (GitLab).
ISSUE_NUMBER = re.compile(r"(?<![\w#&/])((?:[\w.-]+(?:/[\w.-]+)+)?)#([1-9]\d{0,9})(?![\w-])")
WORD = re.compile(
    r"\b(fix(?:e[sd]|ing)?|close[sd]?|closing|resolve[sd]?|resolving|refs?|references?|see|re|related to|relates to)\b",
    re.IGNORECASE,
)
FIX_WORDS = re.compile(r"^(fix|clos|resolv)", re.IGNORECASE)
# A word reaches the keys after it up to the end of the clause.
CLAUSE_END = re.compile(r"[.;:!?\n]\s|\n")


@dataclass(frozen=True)
class Mention:
    """One key a message names. `key` as written; for an issue number, `project` and `number`."""

    key: str
    kind: str
    number: str = ""
    project: str = ""

    @property
    def is_number(self) -> bool:
        return bool(self.number)


def _word_before(message: str, start: int) -> str | None:
    clause_start = 0
    for end in CLAUSE_END.finditer(message, 0, start):
        clause_start = end.end()
    words = WORD.findall(message, clause_start, start)
    if not words:
        return None
    return FIXES if FIX_WORDS.match(words[-1]) else REFS


def mentions(message: str) -> list[Mention]:
    """Every key the message names, once each, the strongest word winning (fixes over refs)."""
    found: dict[str, Mention] = {}

    def add(mention: Mention) -> None:
        current = found.get(mention.key)
        if current is None or (current.kind == REFS and mention.kind == FIXES):
            found[mention.key] = mention

    for match in PROJECT_KEY.finditer(message):
        add(Mention(key=match.group(1), kind=_word_before(message, match.start()) or REFS))
    for match in ISSUE_NUMBER.finditer(message):
        word = _word_before(message, match.start())
        if word is None:
            continue
        project, number = match.group(1), match.group(2)
        add(Mention(key=f"{project}#{number}", kind=word, number=number, project=project))
    return list(found.values())
