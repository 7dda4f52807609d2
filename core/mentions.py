"""@mentions in comment bodies: `@alice` names the user alice.

One pattern, shared by the comment service (who to tell) and the Markdown renderer
(how a mention looks), so what is drawn as a mention is what notified someone.
A mention starts the text or follows a space or punctuation, never a letter (so
an email address is not one); it takes the characters of a username and does not
end with a dot (`@alice.` is alice at the end of a sentence).
"""

import re

# Django's usernames: letters, digits and @ . + - _ ; the @ of an address is left out here.
MENTION = re.compile(r"(?<![\w@.+-])@([\w.+-]*[\w+-])")
# Code is quoted text: a name in a code span or block mentions nobody.
_CODE = re.compile(r"```.*?(?:```|\Z)|~~~.*?(?:~~~|\Z)|`[^`\n]*`", re.DOTALL)
MAX_MENTIONS = 20


def mentioned_names(text: str) -> list[str]:
    """The usernames `text` mentions outside code, lower-cased, each once, in order; at most MAX_MENTIONS."""
    names: list[str] = []
    for match in MENTION.finditer(_CODE.sub(" ", text or "")):
        name = match.group(1).lower()
        if name not in names:
            names.append(name)
            if len(names) == MAX_MENTIONS:
                break
    return names
