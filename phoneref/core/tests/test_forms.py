"""How a service's refusal reads on a web form: the reason, then what the user can do."""

import pytest
from django.utils import translation

from phoneref.core.errors import ServiceError, problems
from phoneref.core.forms import service_error_text, wait_text


@pytest.mark.parametrize(
    ("seconds", "english", "russian"),
    [
        (1, "1 second", "1 секунду"),
        (3, "3 seconds", "3 секунды"),
        (45, "45 seconds", "45 секунд"),
        (60, "1 minute", "1 минуту"),
        (61, "2 minutes", "2 минуты"),
        (21 * 60, "21 minutes", "21 минуту"),
        (3600, "1 hour", "1 час"),
        (5 * 3600, "5 hours", "5 часов"),
    ],
)
def test_a_wait_reads_as_a_person_would_say_it(seconds, english, russian):
    with translation.override("en"):
        assert wait_text(seconds) == english
    with translation.override("ru"):
        assert wait_text(seconds) == russian


def test_a_wrong_code_tells_the_tries_left():
    error = ServiceError(problems.INVALID_CODE, field="code", extra={"attempts_left": 1})
    with translation.override("en"):
        assert service_error_text(error) == (
            "The code is wrong or has expired. Check it, or request a new one. 1 try left."
        )
    with translation.override("ru"):
        assert service_error_text(error) == (
            "Код неверный или устарел. Проверьте его или запросите новый. Осталась 1 попытка."
        )


def test_the_last_wrong_code_says_no_tries_are_left_today():
    error = ServiceError(problems.INVALID_CODE, field="code", extra={"attempts_left": 0})
    with translation.override("en"):
        assert service_error_text(error) == (
            "The code is wrong or has expired. Check it, or request a new one. "
            "No tries left for this number today from your network."
        )


def test_a_limit_tells_how_long_to_wait():
    error = ServiceError(problems.TOO_MANY_REQUESTS, retry_after=42)
    with translation.override("en"):
        assert service_error_text(error) == "Too many requests. Try again later. Wait 42 seconds."


def test_an_error_without_advice_is_just_its_message():
    error = ServiceError(problems.INVITE_CODE_NOT_FOUND, field="invite_code")
    with translation.override("en"):
        assert service_error_text(error) == "There is no user with this invite code."
