"""Bearer tokens: opaque, hashed at rest, sliding 7 days, 30 days at most, revocable."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from knox.models import AuthToken
from knox.settings import CONSTANTS
from knox.signals import token_expired
from rest_framework.test import APIRequestFactory

from phoneref.auth.authentication import BearerTokenAuthentication, tokens_with_user
from phoneref.auth.services import token_issue
from phoneref.users.models import User
from phoneref.users.tests.factories import UserFactory

PROFILE_URL = "/api/v1/profile/"

pytestmark = pytest.mark.django_db


def get_profile(client, token: str):
    return client.get(PROFILE_URL, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_token_is_stored_only_as_a_digest(user):
    token, _ = token_issue(user=user)
    stored = AuthToken.objects.get()
    assert token != stored.digest
    assert len(stored.digest) == 128  # SHA-512
    assert stored.token_key == token[:15]  # an index prefix, not enough to authenticate


def test_a_token_expires_after_seven_idle_days(api_client, user):
    token, expires_at = token_issue(user=user)
    assert abs(expires_at - (timezone.now() + timedelta(days=7))) < timedelta(seconds=5)
    with time_machine.travel(timezone.now() + timedelta(days=7, seconds=1)):
        assert get_profile(api_client, token).status_code == 401


def test_an_expired_token_is_deleted_and_knox_receivers_are_told(api_client, user):
    token, _ = token_issue(user=user)
    expired = []

    def receiver(sender, username, source, **kwargs):
        expired.append((sender, username, source))

    token_expired.connect(receiver)
    try:
        with time_machine.travel(timezone.now() + timedelta(days=7, seconds=1)):
            response = get_profile(api_client, token)
    finally:
        token_expired.disconnect(receiver)

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
    assert not AuthToken.objects.exists()
    assert expired == [(BearerTokenAuthentication, user.phone, "auth_token")]


def test_purging_expired_tokens_tells_knox_receivers_of_each(user):
    other = UserFactory.create()
    token_issue(user=user)
    token_issue(user=user)
    token_issue(user=other)
    expired = []

    def receiver(sender, username, source, **kwargs):
        expired.append((username, source))

    with time_machine.travel(timezone.now() + timedelta(days=7, seconds=1)):
        token_issue(user=other)  # issued seven days on: live
        token_expired.connect(receiver)
        try:
            call_command("purge_expired", stdout=StringIO())
        finally:
            token_expired.disconnect(receiver)

    assert sorted(expired) == sorted(
        [(user.phone, "other_token")] * 2 + [(other.phone, "other_token")]
    )
    assert list(AuthToken.objects.values_list("user", flat=True)) == [other.pk]


def test_a_token_that_shares_only_the_key_prefix_is_refused(api_client, user):
    token, _ = token_issue(user=user)
    forged = token[:15] + ("0" if token[15] != "0" else "1") + token[16:]
    assert get_profile(api_client, forged).status_code == 401
    assert get_profile(api_client, token).status_code == 200


def test_use_moves_the_stored_expiry(api_client, user):
    token, _ = token_issue(user=user)
    later = timezone.now() + timedelta(days=3)
    with time_machine.travel(later, tick=False):
        assert get_profile(api_client, token).status_code == 200
    assert AuthToken.objects.get().expiry == later + timedelta(days=7)


def test_the_authenticated_user_is_loaded_whole(user, django_assert_num_queries):
    user.invite_failure_log = [1_700_000_000]
    user.last_login = timezone.now()
    user.save()
    token, _ = token_issue(user=user)
    request = APIRequestFactory().get(PROFILE_URL, HTTP_AUTHORIZATION=f"Bearer {token}")
    stored = User.objects.get(pk=user.pk)

    with django_assert_num_queries(1):
        authenticated, _ = BearerTokenAuthentication().authenticate(request)

    with django_assert_num_queries(0):
        assert authenticated.is_staff is False
        assert authenticated.password == stored.password
        assert authenticated.last_login == stored.last_login
        for field in User._meta.concrete_fields:
            assert getattr(authenticated, field.attname) == getattr(stored, field.attname)


def test_use_slides_the_expiry_forward(api_client, user):
    token, _ = token_issue(user=user)
    start = timezone.now()
    for day in (5, 10, 15):
        with time_machine.travel(start + timedelta(days=day)):
            assert get_profile(api_client, token).status_code == 200


def test_sliding_stops_at_thirty_days(api_client, user):
    token, _ = token_issue(user=user)
    start = timezone.now()
    for day in range(5, 30, 5):
        with time_machine.travel(start + timedelta(days=day)):
            assert get_profile(api_client, token).status_code == 200
    with time_machine.travel(start + timedelta(days=30, seconds=1)):
        assert get_profile(api_client, token).status_code == 401


def test_logout_revokes_only_this_token(api_client, user):
    first, _ = token_issue(user=user)
    second, _ = token_issue(user=user)
    response = api_client.post("/api/v1/auth/logout/", HTTP_AUTHORIZATION=f"Bearer {first}")
    assert response.status_code == 204
    assert get_profile(api_client, first).status_code == 401
    assert get_profile(api_client, second).status_code == 200


def test_logout_all_revokes_every_token_of_the_user(api_client, user):
    first, _ = token_issue(user=user)
    second, _ = token_issue(user=user)
    response = api_client.post("/api/v1/auth/logout-all/", HTTP_AUTHORIZATION=f"Bearer {first}")
    assert response.status_code == 204
    assert get_profile(api_client, first).status_code == 401
    assert get_profile(api_client, second).status_code == 401


def test_a_missing_token_is_not_authenticated(api_client):
    response = api_client.get(PROFILE_URL)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer " + "0" * 64,
        "Bearer not-a-token",
        "Bearer " + "a" * 10_000,
        "Bearer a b",
        "Bearer \x00" + "a" * 63,
        "Bearer " + "é" * 64,
    ],
)
def test_a_bad_token_is_an_invalid_token_problem(api_client, user, header):
    token_issue(user=user)
    response = api_client.get(PROFILE_URL, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_token"


def test_a_token_of_a_deactivated_user_is_refused(api_client, user):
    token, _ = token_issue(user=user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert get_profile(api_client, token).status_code == 401


@pytest.mark.parametrize("url", ["/api/v1/auth/logout/", "/api/v1/auth/logout-all/"])
def test_logout_needs_a_token(api_client, url):
    assert api_client.post(url).status_code == 401


def test_logout_all_also_ends_the_users_web_sessions(api_client, client, user):
    client.force_login(user, backend="phoneref.auth.backends.PhoneCodeBackend")
    assert client.get("/profile/").status_code == 200
    token, _ = token_issue(user=user)

    response = api_client.post("/api/v1/auth/logout-all/", HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 204
    assert client.get("/profile/")["Location"].startswith("/login/")


def test_tokens_with_user_loads_what_the_orm_loads(user):
    user.invite_failure_log = [1_700_000_000, 1_700_000_060]
    user.last_login = timezone.now()
    user.save()
    token, _ = token_issue(user=user)
    token_issue(user=user)
    key = token[: CONSTANTS.TOKEN_KEY_LENGTH]
    expected = AuthToken.objects.select_related("user").get(token_key=key)

    (loaded,) = tokens_with_user(key)

    for model, got, stored in ((AuthToken, loaded, expected), (User, loaded.user, expected.user)):
        for field in model._meta.concrete_fields:
            assert getattr(got, field.attname) == getattr(stored, field.attname), field.name
        # Loaded from the database, as the ORM would: a save updates the row.
        assert (got._state.adding, got._state.db) == (False, stored._state.db)
    assert tokens_with_user("0" * CONSTANTS.TOKEN_KEY_LENGTH) == []
