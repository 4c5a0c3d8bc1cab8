import pytest
import time_machine
from django.utils import translation

from phoneref.auth.services import token_issue
from phoneref.core.testing import START
from phoneref.users.models import User
from phoneref.users.tests.factories import UserFactory


@pytest.fixture
def user(db) -> User:
    return UserFactory.create()


@pytest.fixture
def auth_client(api_client, user):
    token, _ = token_issue(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    api_client.user = user
    return api_client


@pytest.fixture
def clock():
    """Time stands still at START until the test shifts it: limits without sleeping."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def default_language():
    """Every test starts in the default language: a request the test client made through
    LocaleMiddleware leaves its language active in the thread for whatever runs next."""
    translation.deactivate()
