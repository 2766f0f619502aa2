"""The client's address, as far as the configured proxies can be trusted (TRUSTED_PROXY_COUNT).

Each proxy appends the address it saw to `X-Forwarded-For`, so only the right-most
TRUSTED_PROXY_COUNT entries were written by our own proxies; anything left of them is the
client's to invent. With no proxy (0) the address is the socket's, REMOTE_ADDR.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """Return the address of the client behind TRUSTED_PROXY_COUNT proxies (REMOTE_ADDR when 0)."""
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < proxies:
        # Fewer hops than proxies: the request did not come through all of them.
        return remote
    candidate = hops[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
