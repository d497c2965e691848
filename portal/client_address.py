"""The client's address, the one reading every rate limit, audit record and payment uses.

``X-Forwarded-For`` counts only when the connecting peer (``REMOTE_ADDR``) is one of the
``TRUSTED_PROXIES`` (CIDRs from the environment, none by default). The header is then read from
the right, past every trusted proxy; the first address that is not one is the client. Anyone
else who sends the header is ignored: its own address is the client's.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs if cidr.strip())


def trusted_networks() -> tuple[Network, ...]:
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))


def _address(value: str):
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    # An IPv4 peer seen through an IPv6 socket (::ffff:10.0.0.1) is the IPv4 address.
    return getattr(address, "ipv4_mapped", None) or address


def _trusted(address, networks) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def client_ip(request) -> str:
    """The client's address as text ("" when the peer's address is unknown)."""
    peer = _address(request.META.get("REMOTE_ADDR", "") or "")
    if peer is None:
        return ""
    networks = trusted_networks()
    if not networks or not _trusted(peer, networks):
        return str(peer)
    client = peer
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _address(hop)
        if address is None:
            break  # a forged or broken entry: the last trusted hop is as far as we can see
        client = address
        if not _trusted(address, networks):
            break
    return str(client)


def peer_is_trusted_proxy(request) -> bool:
    """Whether the connecting peer is one of ``TRUSTED_PROXIES`` (its headers may be believed)."""
    peer = _address(request.META.get("REMOTE_ADDR", "") or "")
    return peer is not None and _trusted(peer, trusted_networks())
