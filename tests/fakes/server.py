"""A tiny threaded HTTP server on 127.0.0.1 for trackers' REST APIs in tests.

Subclasses register routes (method, path regex, handler) and keep the tracker's
state; every request is logged, and canned failures can be queued for the next
matching requests (a 429 with Retry-After, a 503, a 401), so a connector is
exercised over real sockets, headers and status codes.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    match: re.Match | None = None

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), "")

    def multipart_files(self) -> list[tuple[str, str, str, bytes]]:
        """(field, filename, content type, bytes) of each file part of a multipart/form-data body."""
        raw = f"Content-Type: {self.header('Content-Type')}\r\n\r\n".encode() + self.body
        message = BytesParser(policy=HTTP).parsebytes(raw)
        files = []
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_filename()
            if filename:
                files.append((name, filename, part.get_content_type(), part.get_payload(decode=True) or b""))
        return files


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class CannedFailure:
    response: Response
    method: str | None
    path_contains: str | None

    def matches(self, request: Request) -> bool:
        return (self.method is None or self.method == request.method) and (
            self.path_contains is None or self.path_contains in request.path
        )


Handler = Callable[[Request], Response]


class FakeServer:
    """Start with `start()` (returns self), stop with `stop()`; `base_url` is where it listens."""

    prefix = ""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern, Handler]] = []
        self.log: list[Request] = []
        self.failures: list[CannedFailure] = []
        self.lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------------ setup
    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method, re.compile(f"^{self.prefix}{pattern}$"), handler))

    def start(self, port: int = 0) -> FakeServer:
        """Listen on 127.0.0.1 (an ephemeral port unless `port` is given) in a daemon thread."""
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stall

            def log_message(self, *args):  # quiet
                pass

            def _serve(self):
                fake._dispatch(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        self._server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def origin(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        return self.origin + self.prefix

    # ------------------------------------------------------------------ failures
    def fail_next(self, status: int, *, body: Any = None, headers: dict[str, str] | None = None,
                  method: str | None = None, path_contains: str | None = None, times: int = 1) -> None:
        """Answer the next `times` matching requests with this response instead of serving them."""
        for _ in range(times):
            self.failures.append(CannedFailure(Response(status, body, headers or {}), method, path_contains))

    def requests_to(self, method: str, path_contains: str = "") -> list[Request]:
        return [r for r in self.log if r.method == method and path_contains in r.path]

    # ------------------------------------------------------------------ serving
    def authorized(self, request: Request) -> bool:
        return True

    def unauthorized(self, request: Request) -> Response:
        return Response(401, {"message": "Unauthorized"})

    def extra_headers(self, request: Request, response: Response) -> dict[str, str]:
        return {}

    def _dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        request = Request(
            method=handler.command, path=parts.path, query=parse_qs(parts.query),
            headers=dict(handler.headers.items()), body=handler.rfile.read(length) if length else b"",
        )
        with self.lock:
            self.log.append(request)
            response = self._respond(request)
            headers = {**self.extra_headers(request, response), **response.headers}
        if response.body is None:
            payload = b""
        elif isinstance(response.body, (bytes, str)):
            payload = response.body.encode() if isinstance(response.body, str) else response.body
        else:
            payload = json.dumps(response.body).encode()
            headers.setdefault("Content-Type", "application/json; charset=utf-8")
        handler.send_response(response.status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def _respond(self, request: Request) -> Response:
        for failure in self.failures:
            if failure.matches(request):
                self.failures.remove(failure)
                return failure.response
        if not self.authorized(request):
            return self.unauthorized(request)
        for method, pattern, handler in self.routes:
            match = pattern.match(request.path)
            if match and method == request.method:
                request.match = match
                return handler(request)
        return self.not_found(request)

    def not_found(self, request: Request) -> Response:
        return Response(404, {"message": "Not Found"})
