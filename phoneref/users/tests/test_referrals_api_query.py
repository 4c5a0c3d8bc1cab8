"""The referrals page refuses every query value its schema does not allow (schemathesis found
the first two: an empty value was taken as "not given", a forged cursor was a server error)."""

from base64 import urlsafe_b64encode

import pytest

from phoneref.users.services import invite_code_activate
from phoneref.users.tests.factories import UserFactory

URL = "/api/v1/profile/referrals/"


def _assert_invalid_input(response, field: str) -> None:
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "invalid_input"
    assert list(body["errors"]) == [field]


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["cursor", "page_size"])
def test_an_empty_query_value_is_refused(auth_client, field):
    _assert_invalid_input(auth_client.get(f"{URL}?{field}="), field)


@pytest.mark.django_db
@pytest.mark.parametrize("page_size", ["0", "101", "ten"])
def test_a_page_size_out_of_range_is_refused(auth_client, page_size):
    _assert_invalid_input(auth_client.get(URL, {"page_size": page_size}), "page_size")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [
        b"o99999999999999999.1",  # a time past any datetime
        b"o1.99999999999999999999",  # an id past any bigint
        b"p=2026-11-27+10%3A00%3A00%2B00%3A00",  # DRF's own cursor, as this API once gave out
        b"o1.2\n",
    ],
)
def test_a_forged_cursor_is_refused(auth_client, payload):
    cursor = urlsafe_b64encode(payload).decode()
    _assert_invalid_input(auth_client.get(URL, {"cursor": cursor}), "cursor")


@pytest.mark.django_db
def test_a_cursor_from_a_page_still_works(auth_client):
    for _ in range(3):
        invite_code_activate(user=UserFactory.create(), invite_code=auth_client.user.invite_code)
    first = auth_client.get(URL, {"page_size": 2}).json()
    second = auth_client.get(first["next"]).json()
    assert len(first["results"]) == 2
    assert len(second["results"]) == 1
