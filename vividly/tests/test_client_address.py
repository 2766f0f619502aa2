"""Which address a request counts as, behind 0..N trusted proxies."""

import pytest
from django.test import RequestFactory

from vividly.api.client_address import UNKNOWN, client_address, client_key


def request(remote: str | None = "10.0.0.2", forwarded: str | None = None):
    meta = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    built = RequestFactory().get("/", **meta)
    if remote is None:
        del built.META["REMOTE_ADDR"]
    else:
        built.META["REMOTE_ADDR"] = remote
    return built


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        (0, "198.51.100.4", "6.6.6.6", "198.51.100.4"),  # no proxy: the header is the client's invention
        (1, "10.0.0.2", "6.6.6.6, 198.51.100.4", "198.51.100.4"),
        (2, "10.0.0.3", "6.6.6.6, 198.51.100.4, 10.0.0.2", "198.51.100.4"),
        (2, "10.0.0.3", "198.51.100.4", "10.0.0.3"),  # fewer hops than proxies: not through them all
        (1, "10.0.0.2", "not-an-address", "10.0.0.2"),
        (1, "10.0.0.2", "2001:DB8::1", "2001:db8::1"),
        (0, "", None, None),  # a unix socket
        (0, None, None, None),  # an in-process call
    ],
)
def test_the_client_address(settings, proxies, remote, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_address(request(remote, forwarded)) == expected
    assert client_key(request(remote, forwarded)) == (expected or UNKNOWN)
