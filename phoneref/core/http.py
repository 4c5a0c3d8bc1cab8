import ipaddress

from django.conf import settings
from django.http import HttpRequest
from django.http.request import split_domain_port


def client_ip(request: HttpRequest) -> str:
    """The client's address for rate limits.

    `X-Forwarded-For` is anyone's to write, so it is read only when TRUSTED_PROXY_HOPS says
    how many proxies of ours append to it; the address they saw is that many from the end.
    """
    hops = settings.TRUSTED_PROXY_HOPS
    if hops > 0:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= hops and _is_ip(forwarded[-hops]):
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104 - a value, not a bind


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def client_network(ip: str) -> str:
    """The network a client address stands for in per-client limits.

    An IPv6 host gets a whole /64 (CLIENT_IPV6_PREFIX_LENGTH) and picks any address in it at
    will, so the prefix is the client; an IPv4-mapped IPv6 address is its IPv4 address.
    """
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        # int(): the scope of a link-local address (fe80::1%eth0) is no part of its network,
        # and the network's text form would refuse it.
        prefix = settings.CLIENT_IPV6_PREFIX_LENGTH
        return str(ipaddress.IPv6Network((int(address), prefix), strict=False))
    return str(address)


def request_host(request: HttpRequest) -> str:
    """The host the client asked for, without its port: one ALLOWED_HOSTS admits (get_host()
    checks), as a WebOTP line names it."""
    domain, _port = split_domain_port(request.get_host())
    return domain
