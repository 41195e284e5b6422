"""Signing (Standard Webhooks) and sending, with SSRF protection.

The host is resolved once, every address checked, and the connection made to the checked
address (with the original Host header and TLS server name), so a DNS answer that changes
between the check and the connection cannot point a delivery at an internal service.
Redirects are not followed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import ipaddress
import secrets
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

TIMEOUT_SECONDS = 10
SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks prefix, not a secret
USER_AGENT = "PeaceCase-Webhooks/1"


class UnsafeURL(ValueError):
    """The URL is not http(s), or points at a private, loopback or link-local address."""


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(*, secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` with the base64-decoded secret."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    message = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


def _allow_private() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE", False))


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local)


def resolve_safely(url: str) -> tuple[str, str, int, str]:
    """Return (scheme, host, port, address to connect to), or raise UnsafeURL."""
    parts = urlsplit(url)
    scheme = (parts.scheme or "").lower()
    if scheme not in ("http", "https"):
        raise UnsafeURL(_("Only http and https URLs are allowed."))
    host = parts.hostname
    if not host:
        raise UnsafeURL(_("The URL has no host."))
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeURL(_("The URL's port is not valid.")) from exc
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeURL(_("The host name cannot be resolved.")) from exc
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise UnsafeURL(_("The host name cannot be resolved."))
    # Every address must be public: a name with one public and one private answer is refused.
    if not _allow_private() and not all(_is_public(a) for a in addresses):
        raise UnsafeURL(_("Private, loopback and link-local addresses are not allowed."))
    return scheme, host, port, addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class SendResult:
    status_code: int | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def send(*, url: str, body: bytes, headers: dict[str, str]) -> SendResult:
    try:
        scheme, host, port, address = resolve_safely(url)
    except UnsafeURL as exc:
        return SendResult(None, str(exc))
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    cls = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    conn = cls(host, port, address=address, timeout=TIMEOUT_SECONDS)
    try:
        conn.request("POST", target, body=body, headers={
            "Content-Type": "application/json", "User-Agent": USER_AGENT, **headers,
        })
        response = conn.getresponse()
        response.read(64 * 1024)  # the receiver's answer is not kept; read a little to end cleanly
        return SendResult(response.status)
    except (OSError, http.client.HTTPException) as exc:
        return SendResult(None, f"{type(exc).__name__}: {exc}"[:500])
    finally:
        conn.close()
