"""@mentions in comment bodies: `@alice` names the user alice.

The pattern the Markdown renderer draws mentions with (core.markdown); who is told
is read back from what it drew (core.markdown.mentioned_names), so that a name in
code, in a link's address or anywhere else not drawn as a mention notifies nobody.
A mention starts the text or follows a space or punctuation, never a letter (so
an email address is not one); it takes the characters of a username and does not
end with a dot (`@alice.` is alice at the end of a sentence).
"""

import re

# Django's usernames: letters, digits and @ . + - _ ; the @ of an address is left out here.
MENTION = re.compile(r"(?<![\w@.+-])@([\w.+-]*[\w+-])")
MAX_MENTIONS = 20
