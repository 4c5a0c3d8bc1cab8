"""The per-IP send limit counts the address that really connected, whatever headers say."""

import pytest

from phoneref.core.http import client_network

URL = "/api/v1/auth/request-code/"
PROXY = "10.0.0.5"


@pytest.fixture(autouse=True)
def two_sends_per_ip(settings):
    settings.OTP_IP_SENDS_PER_HOUR = 2


def request_code(api_client, n: int, *, remote: str, forwarded: str | None = None):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return api_client.post(URL, {"phone": f"+7916555000{n}"}, format="json", **headers)


@pytest.mark.django_db
def test_a_spoofed_forwarded_for_does_not_dodge_the_limit_without_a_trusted_proxy(
    api_client, settings
):
    settings.TRUSTED_PROXY_HOPS = 0
    statuses = [
        request_code(api_client, n, remote="203.0.113.7", forwarded=f"198.51.100.{n}").status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]


@pytest.mark.django_db
def test_behind_a_trusted_proxy_each_client_has_its_own_limit(api_client, settings):
    settings.TRUSTED_PROXY_HOPS = 1
    first = [request_code(api_client, n, remote=PROXY, forwarded="198.51.100.1") for n in range(3)]
    other = request_code(api_client, 3, remote=PROXY, forwarded="198.51.100.2")
    assert [r.status_code for r in first] == [200, 200, 429]
    assert other.status_code == 200


@pytest.mark.django_db
def test_behind_a_trusted_proxy_addresses_the_client_prepends_are_ignored(api_client, settings):
    # The proxy appends the address it saw; whatever the client wrote comes before it.
    settings.TRUSTED_PROXY_HOPS = 1
    statuses = [
        request_code(
            api_client, n, remote=PROXY, forwarded=f"192.0.2.{n}, 198.51.100.9"
        ).status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("fe80::1%eth0", "fe80::/64"),
    ],
)
def test_a_client_is_its_ipv4_address_or_its_ipv6_network(address, network):
    assert client_network(address) == network


def test_the_ipv6_prefix_length_is_a_setting(settings):
    settings.CLIENT_IPV6_PREFIX_LENGTH = 48
    assert client_network("2001:db8:1:2::1") == "2001:db8:1::/48"
    settings.CLIENT_IPV6_PREFIX_LENGTH = 128
    assert client_network("2001:db8:1:2::1") == "2001:db8:1:2::1/128"


@pytest.mark.django_db
def test_addresses_of_one_ipv6_network_share_the_send_limit(api_client):
    statuses = [
        request_code(api_client, n, remote=f"2001:db8:5:5::{n + 1}").status_code for n in range(3)
    ]
    assert statuses == [200, 200, 429]


@pytest.mark.django_db
def test_an_ipv4_mapped_address_shares_the_limit_of_its_ipv4_address(api_client):
    statuses = [
        request_code(api_client, 0, remote="192.0.2.44").status_code,
        request_code(api_client, 1, remote="::ffff:192.0.2.44").status_code,
        request_code(api_client, 2, remote="192.0.2.44").status_code,
    ]
    assert statuses == [200, 200, 429]
