import pytest

from phoneref.core.errors import ServiceError
from phoneref.core.phones import phone_masked, phone_to_e164


@pytest.mark.parametrize(
    "typed",
    ["+7 999 123-45-67", "8 (999) 123-45-67", "89991234567", "+79991234567", " +7(999)1234567 "],
)
def test_what_people_type_is_normalised_to_e164(typed):
    assert phone_to_e164(typed) == "+79991234567"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "12",
        "hello",
        "+7 999",
        "+0 123 456 78 90",
        "9" * 40,
        None,
        79,
        # Valid to phonenumbers, but outside E.164's 7-15 digits that we store:
        "+4980012345678901",
        "+989601",
    ],
)
def test_invalid_numbers_are_refused_with_invalid_phone(typed):
    with pytest.raises(ServiceError) as error:
        phone_to_e164(typed)
    assert error.value.code == "invalid_phone"
    assert error.value.field == "phone"


def test_other_scripts_digits_are_read_as_digits_and_stored_in_ascii():
    assert phone_to_e164("+7999123456７") == "+79991234567"


def test_masking_keeps_only_the_ends():
    assert phone_masked("+79991234567") == "+799*****567"
