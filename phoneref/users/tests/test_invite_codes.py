import pytest

from phoneref.core.errors import ServiceError
from phoneref.users.invite_codes import ALPHABET, invite_code_generate, invite_code_normalize


def test_generated_codes_are_six_characters_from_the_alphabet():
    for _ in range(1000):
        code = invite_code_generate()
        assert len(code) == 6
        assert set(code) <= set(ALPHABET)


def test_the_alphabet_has_digits_and_upper_case_letters_without_look_alikes():
    assert not set("0O1IL") & set(ALPHABET)
    assert any(c.isdigit() for c in ALPHABET)
    assert any(c.isalpha() for c in ALPHABET)
    assert ALPHABET.upper() == ALPHABET


def test_codes_are_spread_over_the_alphabet():
    seen = {c for _ in range(500) for c in invite_code_generate()}
    assert seen == set(ALPHABET)


@pytest.mark.parametrize(
    ("typed", "code"),
    [("K7M2QX", "K7M2QX"), ("k7m2qx", "K7M2QX"), (" k7m-2qx ", "K7M2QX"), ("K7 M2 QX", "K7M2QX")],
)
def test_input_is_case_insensitive_and_drops_spaces_and_dashes(typed, code):
    assert invite_code_normalize(typed) == code


@pytest.mark.parametrize(
    "typed",
    ["", "K7M2Q", "K7M2QXA", "K7M2Q0", "K7M2QO", "K7M2Q1", "K7M2QI", "K7M2QL", "K7M2Q!",
     "К7М2QХ", "K7M2Q\x00", None, 123456, ["K7M2QX"], "K" * 1000],
)  # fmt: skip
def test_anything_that_cannot_be_a_code_is_invalid_invite_code(typed):
    with pytest.raises(ServiceError) as error:
        invite_code_normalize(typed)
    assert error.value.code == "invalid_invite_code"
