"""A tiny threaded SMTP server on 127.0.0.1 that keeps every message it accepts.

It speaks the part of RFC 5321 that Django's SMTP backend uses (EHLO/HELO,
MAIL, RCPT, DATA, RSET, NOOP, QUIT), answers 250 at the end of DATA and
records the message, so tests can count what a mail server really took, by
its Message-ID.
"""

from __future__ import annotations

import socketserver
import threading
from email import message_from_bytes
from email.message import Message


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())
        self.wfile.flush()

    def handle(self) -> None:
        self.reply("220 fake-smtp ready")
        while True:
            raw = self.rfile.readline(1024)
            if not raw:
                return
            verb = raw.decode("ascii", "replace").strip().split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 fake-smtp")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while True:
                    line = self.rfile.readline(65536)
                    if not line or line in (b".\r\n", b".\n"):
                        break
                    lines.append(line[1:] if line.startswith(b"..") else line)
                self.server.accept(message_from_bytes(b"".join(lines)))
                self.reply("250 OK: queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.messages: list[Message] = []
        self._lock = threading.Lock()

    def accept(self, message: Message) -> None:
        with self._lock:
            self.messages.append(message)


class FakeSMTP:
    """Start with `with FakeSMTP() as smtp:`; `smtp.port`, `smtp.messages`, `smtp.by_message_id()`."""

    def __init__(self) -> None:
        self._server = _Server()
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def messages(self) -> list[Message]:
        return list(self._server.messages)

    def by_message_id(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for message in self.messages:
            key = message.get("Message-ID", "")
            counts[key] = counts.get(key, 0) + 1
        return counts

    def __enter__(self) -> FakeSMTP:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
