"""Every message a person can see has a Russian translation, and Russian is what they get."""

import ast
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation.template import templatize

from phoneref.core.errors import Problem, problems

RUSSIAN_CATALOG = settings.BASE_DIR / "locale" / "ru" / "LC_MESSAGES" / "django.po"
SOURCE_DIRS = ["config", "phoneref"]
TEMPLATE_DIRS = ["templates"]
GETTEXT_NAMES = {
    "_",
    "gettext",
    "gettext_lazy",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
}
# What `templatize` turns {% translate %} and {% blocktranslate %} into.
_TEMPLATE_CALL = re.compile(r"\b(?:n?gettext|pgettext)\((u?'(?:[^'\\]|\\.)*')")


def _python_msgids(path: Path) -> set[str]:
    msgids = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) in GETTEXT_NAMES
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            msgids.add(node.args[0].value)
    return msgids


def _template_msgids(path: Path) -> set[str]:
    code = templatize(path.read_text(), origin=str(path))
    return {ast.literal_eval(literal) for literal in _TEMPLATE_CALL.findall(code)}


def used_msgids() -> set[str]:
    msgids = set()
    for folder in SOURCE_DIRS:
        for path in (settings.BASE_DIR / folder).rglob("*.py"):
            if "tests" not in path.parts and "migrations" not in path.parts:
                msgids |= _python_msgids(path)
    for folder in TEMPLATE_DIRS:
        for path in (settings.BASE_DIR / folder).rglob("*.html"):
            msgids |= _template_msgids(path)
    return msgids


def test_every_message_in_code_and_templates_has_a_russian_translation():
    translated = {entry.msgid for entry in polib.pofile(str(RUSSIAN_CATALOG)).translated_entries()}
    missing = sorted(used_msgids() - translated)
    assert not missing, (
        "Untranslated messages; run `manage.py makemessages -l ru`, translate them in "
        f"{RUSSIAN_CATALOG.relative_to(settings.BASE_DIR)}, then `make messages`: {missing}"
    )


def test_the_russian_catalog_has_nothing_fuzzy_or_empty():
    catalog = polib.pofile(str(RUSSIAN_CATALOG))
    assert catalog.fuzzy_entries() == []
    assert catalog.untranslated_entries() == []


@pytest.mark.parametrize(
    "problem", [p for p in vars(problems).values() if isinstance(p, Problem)], ids=str
)
def test_every_problem_title_reads_in_russian(problem):
    """Also proves the compiled catalog is in place (`make messages`)."""
    with translation.override("ru"):
        russian = str(problem.title)
    with translation.override("en"):
        english = str(problem.title)
    assert russian != english
    assert re.search("[а-яё]", russian, re.IGNORECASE)


def test_api_problems_follow_accept_language(api_client, db):
    response = api_client.post(
        "/api/v1/auth/request-code/", {"phone": "12"}, format="json", HTTP_ACCEPT_LANGUAGE="ru"
    )
    body = response.json()
    assert body["code"] == "invalid_phone"
    assert body["title"] == "Введите правильный номер телефона."
    assert body["errors"] == {"phone": ["Введите правильный номер телефона."]}
