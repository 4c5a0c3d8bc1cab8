"""The login code message: the code, how long it lasts, the WebOTP line, one segment."""

import pytest

from phoneref.sms.messages import login_code_text
from phoneref.sms.tests.segments import sms_segments

# A host of the length most sites have; the WebOTP line names it.
HOST = "phoneref.example.com"


def test_the_segment_counter_knows_both_alphabets_and_their_limits():
    assert sms_segments("a" * 160) == ("GSM-7", 1)
    assert sms_segments("a" * 161) == ("GSM-7", 2)
    assert sms_segments("€" * 80) == ("GSM-7", 1)
    assert sms_segments("€" * 81) == ("GSM-7", 2)
    assert sms_segments("ж" * 70) == ("UCS-2", 1)
    assert sms_segments("ж" * 71) == ("UCS-2", 2)
    assert sms_segments("ж" * 134) == ("UCS-2", 2)
    assert sms_segments("ж" * 135) == ("UCS-2", 3)


def test_the_english_message_says_the_code_and_its_lifetime_and_ends_with_the_webotp_line():
    text = login_code_text(code="4821", host=HOST, language="en")
    assert text == "Your login code: 4821. Valid for 5 minutes.\n@phoneref.example.com #4821"
    assert sms_segments(text) == ("GSM-7", 1)


def test_the_russian_message_says_the_same_in_one_ucs2_segment():
    text = login_code_text(code="4821", host=HOST, language="ru")
    assert text == "Код входа: 4821. Действует 5 минут.\n@phoneref.example.com #4821"
    assert sms_segments(text) == ("UCS-2", 1)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_six_digit_code_still_fits_one_segment(settings, language):
    settings.OTP_CODE_LENGTH = 6
    text = login_code_text(code="482193", host=HOST, language=language)
    assert sms_segments(text)[1] == 1


@pytest.mark.parametrize(
    ("minutes", "russian"), [(1, "1 минуту"), (2, "2 минуты"), (5, "5 минут"), (21, "21 минуту")]
)
def test_the_lifetime_is_in_the_right_plural_form(settings, minutes, russian):
    settings.OTP_TTL_SECONDS = minutes * 60
    assert f"Действует {russian}." in login_code_text(code="4821", host=HOST, language="ru")
    unit = "minute" if minutes == 1 else "minutes"
    assert f"Valid for {minutes} {unit}." in login_code_text(code="4821", host=HOST, language="en")


@pytest.mark.parametrize(("language", "word"), [("en", "code"), ("ru", "код")])
def test_the_wording_names_a_code_so_ios_offers_it(language, word):
    assert word in login_code_text(code="4821", host=HOST, language=language).lower()
