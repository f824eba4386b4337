"""SSRF guard for webhook URLs: refuses destinations inside our network.

Live mode never delivers to an address that is private, loopback, link-local, multicast,
reserved or unspecified (cloud metadata services live on link-local addresses). Test mode may,
when WEBHOOKS_ALLOW_PRIVATE_URLS_IN_TEST_MODE is on, so developers can point at localhost.
The check runs when the URL is saved and again right before every send (DNS can change).

At send time the name is resolved once (`resolve_destination`) and the connection goes to that
checked address — the sender connects to the IP and sends the name as the Host header and the TLS
SNI (and verifies the certificate against the name) — so a DNS answer that changes between the
check and the connect (rebinding) cannot steer the request inside our network.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from .errors import WebhookUrlInvalid, WebhookUrlNotAllowed, WebhookUrlUnresolvable


def _forbidden(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def private_urls_allowed(livemode: bool) -> bool:
    return not livemode and getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_URLS_IN_TEST_MODE", False)


def check_url_syntax(url: str, *, livemode: bool) -> None:
    parts = urlsplit(url)
    allowed = ("https",) if livemode else ("https", "http")
    if parts.scheme not in allowed:
        raise WebhookUrlInvalid(
            "Webhook URLs must use https in live mode."
            if livemode
            else "Webhook URLs must use http or https."
        )
    if not parts.hostname:
        raise WebhookUrlInvalid("The URL has no host.")
    if parts.username or parts.password:
        raise WebhookUrlInvalid("Webhook URLs must not carry credentials.")


@dataclass(frozen=True)
class Destination:
    """Where one send goes: `ip` is the checked address the connection must use; `host` (the
    name) goes in the Host header and the TLS SNI. `ip` is "" when private destinations are
    allowed (test mode): nothing is checked, so the connection resolves the name itself
    (`localhost` may answer ::1 first while a developer's server listens on 127.0.0.1)."""

    scheme: str
    host: str
    port: int
    ip: str

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"

    def pinned_url(self, url: str) -> str:
        """`url` with its host replaced by the checked IP (path and query unchanged)."""
        parts = urlsplit(url)
        ip = f"[{self.ip}]" if ":" in self.ip else self.ip
        return parts._replace(netloc=f"{ip}:{self.port}").geturl()


def resolve_destination(url: str, *, livemode: bool) -> Destination:
    """Resolves the host once and refuses internal destinations (unless allowed in test mode).
    Every address the name resolves to must be allowed; the first one is used."""
    check_url_syntax(url, livemode=livemode)
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if private_urls_allowed(livemode):
        return Destination(scheme=parts.scheme, host=parts.hostname, port=port, ip="")
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise WebhookUrlUnresolvable(host=parts.hostname) from exc
    if not infos:
        raise WebhookUrlUnresolvable(host=parts.hostname)
    if any(_forbidden(info[4][0]) for info in infos):
        raise WebhookUrlNotAllowed()
    return Destination(
        scheme=parts.scheme, host=parts.hostname, port=port, ip=infos[0][4][0].split("%", 1)[0]
    )


def check_url_destination(url: str, *, livemode: bool) -> None:
    """Resolves the host and refuses internal destinations (unless allowed in test mode)."""
    resolve_destination(url, livemode=livemode)
