"""URLs that come from outside: strict parsing, address checks, and links safe to render.

Three uses, one set of rules:
- `clean_server_url` checks a URL the portal will call (a tracker's base URL, later a
  git repository's): http(s) only, no credentials, query or fragment, a real port, and
  a host whose addresses are all globally routable;
- `GuardedSession` (and `GuardedAdapter` for clients that bring their own session)
  checks the address each connection actually reaches, at request time, because a
  name that resolved to a public address when the connection was saved may resolve to
  127.0.0.1 today; it never follows a redirect, so credentials never travel to another
  origin;
- `external_link` keeps a URL a tracker sent (an issue's page) only when it is a plain
  http(s) link, so it can never be a `javascript:` href.

Internal addresses (private, loopback, carrier-grade NAT, ...) are allowed when
HANDOFF_ALLOW_INTERNAL_URLS is on (a tracker on the office network); link-local and
cloud metadata addresses never are.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import SplitResult, urlsplit, urlunsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Cloud instance metadata services: they hand out the machine's credentials.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254", "fd00:ec2::23")
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")
MAX_URL_LENGTH = 2000


def internal_allowed() -> bool:
    return bool(getattr(settings, "HANDOFF_ALLOW_INTERNAL_URLS", False))


# ---------------------------------------------------------------------- parsing
def _split(url: object, *, base: bool) -> SplitResult:
    """The URL's parts, or ValueError saying what is wrong with it.

    Strict on purpose: parsers disagree about odd URLs ("http://8.8.8.8#@127.0.0.1",
    a backslash, a space or a line break in the middle), and the one that checks
    must not be fooled by what the one that connects or renders reads differently.
    """
    if not isinstance(url, str) or not url.strip():
        raise ValueError("Enter an http:// or https:// URL.")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"A URL may be at most {MAX_URL_LENGTH} characters.")
    if any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in url) or "\\" in url:
        raise ValueError("A URL may not contain spaces, line breaks, control characters or backslashes.")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises for a port that is not a number in 0-65535
    except ValueError:
        raise ValueError("This is not a valid URL (check the brackets around an IPv6 address and the port).") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not url[len(scheme):].startswith("://"):
        raise ValueError("Enter an http:// or https:// URL.")
    if "@" in parts.netloc:
        raise ValueError("A URL may not carry a user name or password.")
    if base and (parts.query or parts.fragment or "#" in url or "?" in url):
        raise ValueError("A server URL may not have a query (?) or fragment (#).")
    if port is not None and not 1 <= port <= 65535:
        raise ValueError("The port must be between 1 and 65535.")
    if parts.netloc.endswith(":"):
        raise ValueError("The port is missing after the colon.")
    host = parts.hostname or ""
    if not host:
        raise ValueError("The URL names no host.")
    if parts.netloc.startswith("["):
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"{host} is not a valid IPv6 address.") from None
    else:
        try:
            ascii_host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(f"{host} is not a valid host name.") from None
        if not all(label and all(ch.isalnum() or ch in "-_" for ch in label) for label in ascii_host.split(".")):
            raise ValueError(f"{host} is not a valid host name.")
    return parts._replace(scheme=scheme)


def external_link(url: object) -> str:
    """`url` when it is a well-formed http(s) link to show or store, else ""."""
    try:
        return urlunsplit(_split(url, base=False))
    except ValueError:
        return ""


# ---------------------------------------------------------------------- addresses
def _embedded(ip: Address) -> list[Address]:
    """The IPv4 addresses an IPv6 address carries (mapped, 6to4, Teredo, NAT64)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    found: list[Address] = []
    if ip.ipv4_mapped:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour:
        found.append(ip.sixtofour)
    if ip.teredo:
        found.extend(ip.teredo)
    if ip in NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def address_refusal(address: str, *, allow_internal: bool) -> str | None:
    """Why the portal may not call `address`, or None when it may."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address} is not an IP address."
    for candidate in (ip, *_embedded(ip)):
        if candidate in METADATA_ADDRESSES or candidate.is_link_local:
            return f"{address} is a link-local or cloud metadata address; those are never allowed."
        if candidate.is_multicast or candidate.is_unspecified:
            return f"{address} is not a host address."
        if not allow_internal and not candidate.is_global:
            return f"{address} is an internal address (private, loopback, shared or reserved); it is not allowed."
    return None


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def clean_server_url(url: object, *, allow_internal: bool | None = None) -> str:
    """A URL the portal may call, normalised (lowercase scheme, no trailing slash).

    Raises ValidationError with a message naming what is wrong. When internal
    addresses are not allowed the host is resolved and every address it resolves
    to must be global; when they are, a literal address is still checked for
    link-local and metadata ranges (a name is checked when it is called).
    """
    allow = internal_allowed() if allow_internal is None else allow_internal
    try:
        parts = _split(url, base=True)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    host = parts.hostname or ""
    literal = _literal(host)
    if literal is not None:
        addresses = [str(literal)]
    elif allow:
        addresses = []
    else:
        try:
            infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError):
            raise ValidationError(f"{host} does not resolve.") from None
        addresses = [info[4][0] for info in infos]
    for address in addresses:
        refusal = address_refusal(address, allow_internal=allow)
        if refusal:
            raise ValidationError(refusal)
    return urlunsplit(parts).rstrip("/")


# ---------------------------------------------------------------------- outbound calls
class UnsafeRemote(requests.RequestException):
    """An outbound call the guard stopped; its message is safe to show."""


class AddressRefused(UnsafeRemote):
    """The host resolved, at request time, to an address the portal may not call."""


class RedirectRefused(UnsafeRemote):
    """The server answered with a redirect, which is never followed."""


class _PeerRefused(Exception):
    # Raised inside urllib3, which would retry an OSError (as every RequestException
    # is) and lose the message; GuardedAdapter.send turns it into AddressRefused.
    pass


class _GuardedConnectionMixin:
    host: str

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # type: ignore[misc]
        # The address connected to, not a second lookup that DNS could answer differently.
        peer = sock.getpeername()[0]
        refusal = address_refusal(peer, allow_internal=internal_allowed())
        if refusal:
            sock.close()
            raise _PeerRefused(f"refused to call {self.host}: {refusal}")
        return sock


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """A transport that checks the address of every new connection and refuses redirects."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}

    def send(self, request, *args, **kwargs):
        try:
            response = super().send(request, *args, **kwargs)
        except _PeerRefused as exc:
            raise AddressRefused(str(exc), request=request) from None
        if response.is_redirect:
            response.close()
            raise RedirectRefused(
                f"{request.method} {urlsplit(request.url).path} was answered {response.status_code} "
                "(a redirect, not followed): set the connection's URL to where the server really answers.",
                request=request,
            )
        return response


class GuardedSession(requests.Session):
    """A requests session for calls to servers named by users: see the module docstring."""

    def __init__(self) -> None:
        super().__init__()
        # No proxies, .netrc credentials or CA bundles from the environment: the
        # checked address must be the server's own, and no credential may be added.
        self.trust_env = False
        self.max_redirects = 0
        adapter = GuardedAdapter()
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def get_redirect_target(self, resp):
        return None  # never followed (GuardedAdapter has refused it already)
