"""Outgoing requests to URLs that clients give (audio URLs, webhooks) without reaching internal hosts (SSRF):
the host is resolved ONCE and refused when any address is private, loopback, link-local, multicast, reserved or
unspecified (unless the caller's setting allows private addresses), and the connection then goes to that
checked address (`pinned`: the Host header and TLS name stay the URL's), so a DNS answer that changes between
check and connect (rebinding) cannot reach an internal host. Callers re-check every redirect. Stdlib only."""
from __future__ import annotations

import importlib
import socket
from typing import Any
from urllib.parse import urlsplit

# stdlib, but missing from Motia's bundler's list of standard modules (it would look for a package named
# "ipaddress" and fail the build): loaded without an import statement
ipaddress = importlib.import_module("ipaddress")


MAX_URL_CHARS = 2048


def url_problem(url: object) -> "str | None":
    """Why `url` cannot be a webhook or audio URL (without resolving it), or None."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_CHARS:
        return f"must be an http(s) URL of at most {MAX_URL_CHARS} characters"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http or https URL with a host"
    try:
        parts.port
    except ValueError:
        return "the URL's port is not a number from 0 to 65535"
    return None


class FetchRefused(ValueError):
    pass


def check_host(host: str, port: int, allow_private: bool, setting: str = "AUDIO_URL_ALLOW_PRIVATE") -> str:
    """Resolve `host` once; refuse it when any address is internal. Returns the address to connect to."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as e:
        raise FetchRefused(f"cannot resolve host {host!r}: {e}") from None
    addresses = []
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%")[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        bad = ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified
        if bad and not allow_private:
            raise FetchRefused(f"refusing to connect to {host} ({ip}): private, loopback or link-local address "
                               f"(set {setting}=true to allow)")
        addresses.append(ip)
    if not addresses:
        raise FetchRefused(f"cannot resolve host {host!r}: no address")
    return str(addresses[0])


def check_url(url: str, allow_private: bool, setting: str = "AUDIO_URL_ALLOW_PRIVATE") -> tuple[Any, str]:
    """(the URL's parts, the checked address to connect to) or FetchRefused."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchRefused("only http and https URLs with a host are fetched")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise FetchRefused("the URL's port is not a number from 0 to 65535") from None
    return parts, check_host(parts.hostname, port, allow_private, setting)


def pinned(parts: Any, address: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The request that reaches `address` for the URL `parts`: (URL with the address as host, Host header,
    httpx extensions with the TLS server name), so the name is not resolved a second time."""
    host = f"[{address}]" if ":" in address else address
    netloc = host + (f":{parts.port}" if parts.port else "")
    target = parts._replace(netloc=netloc).geturl()
    name = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    host_header = name + (f":{parts.port}" if parts.port else "")
    return target, {"Host": host_header}, {"sni_hostname": parts.hostname}
