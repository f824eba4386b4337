"""SSRF guard for webhook URLs: refuses destinations inside our network.

Live mode never delivers to an address that is private, loopback, link-local, multicast,
reserved or unspecified (cloud metadata services live on link-local addresses). Test mode may,
when WEBHOOKS_ALLOW_PRIVATE_URLS_IN_TEST_MODE is on, so developers can point at localhost.
The check runs when the URL is saved and again right before every send (DNS can change).
"""

import ipaddress
import socket
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


def check_url_destination(url: str, *, livemode: bool) -> None:
    """Resolves the host and refuses internal destinations (unless allowed in test mode)."""
    check_url_syntax(url, livemode=livemode)
    if private_urls_allowed(livemode):
        return
    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except (socket.gaierror, UnicodeError) as exc:
        raise WebhookUrlUnresolvable(host=parts.hostname) from exc
    for info in infos:
        if _forbidden(info[4][0]):
            raise WebhookUrlNotAllowed()
