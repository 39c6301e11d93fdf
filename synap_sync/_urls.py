"""URLs as this client checks and shows them: a base URL that can carry every call, and any URL (a base
URL, a proxy, a pace store) shown without its password."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit, urlunsplit

from .models import refuse

__all__ = ["shown", "check_base_url", "is_loopback"]


def shown(url: str) -> str:
    """``url`` as it may be printed or logged: a password in it replaced by ``***`` (``user:***@host``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<a URL that cannot be parsed>"
    if parts.password is None and "@" not in parts.netloc:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}" if user else f":***@{host}"))


def is_loopback(host: str) -> bool:
    """This machine, by name or address."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(base_url: str, allow_insecure_http: bool) -> None:
    """Refuse, naming ``base_url`` (and never showing a password in it), what cannot carry the calls: not
    http(s), no host, credentials (the Authorization header carries the API key, so they could not be
    sent), a query or a fragment (a path is appended to the base URL; they would end up in the wrong
    place), or plain http:// beyond this machine."""
    try:
        parts = urlsplit(base_url)
        host = parts.hostname
        parts.port  # noqa: B018 - a port that is not a number raises here
    except ValueError:
        raise refuse("base_url", f"is not a URL: {shown(base_url)!r}") from None
    if parts.scheme not in ("http", "https") or not host:
        raise refuse("base_url", f"must be an http(s) URL with a host, got {shown(base_url)!r}")
    if "@" in parts.netloc:
        raise refuse(
            "base_url",
            f"holds a user name or password ({shown(base_url)}): they would never be sent, as the Authorization "
            "header carries the API key; remove them",
        )
    if parts.query or parts.fragment or base_url.rstrip().endswith(("?", "#")):
        raise refuse(
            "base_url",
            f"must not have a query or fragment ({shown(base_url)}): each call's path is appended to the base "
            "URL, so they would not reach the service as meant",
        )
    if parts.scheme == "http" and not allow_insecure_http and not is_loopback(host):
        raise refuse(
            "base_url",
            f"plain http:// would send the API key unencrypted to {host}; use https://, or pass "
            "allow_insecure_http=True",
        )
