"""The client's address, as far as the configured proxies can be trusted (TRUSTED_PROXY_COUNT).

Each proxy appends the address it saw to `X-Forwarded-For`, so only the right-most
TRUSTED_PROXY_COUNT entries were written by our own proxies; anything left of them is the
client's to invent. With no proxy (0) the address is the socket's, REMOTE_ADDR.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest

UNKNOWN = "unknown"  # what the limits count a request without any address as (one shared bucket)


def client_address(request: HttpRequest) -> str | None:
    """Return the address of the client behind TRUSTED_PROXY_COUNT proxies (REMOTE_ADDR when 0).

    None when the request carries no address at all (an in-process call), as django-axes
    expects of this callable: it stores the address in an IP address column.
    """
    remote = as_ip(request.META.get("REMOTE_ADDR", ""))
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < proxies:
        # Fewer hops than proxies: the request did not come through all of them.
        return remote
    return as_ip(hops[-proxies]) or remote


def as_ip(text: str) -> str | None:
    """Return `text` as a normalised IP address, or None when it is not one (a unix socket, junk)."""
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_key(request: HttpRequest) -> str:
    """Return the client address for counting requests against it (UNKNOWN when there is none)."""
    return client_address(request) or UNKNOWN
