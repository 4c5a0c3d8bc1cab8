"""Reading rendered pages in view tests: what a person sees beside each field."""

import re
from html import unescape
from typing import Protocol


class Page(Protocol):
    """A rendered response: Django's HttpResponse, or what the test client hands back."""

    content: bytes


def page_text(response: Page) -> str:
    return unescape(response.content.decode())


def field_error(response: Page, field: str) -> str:
    """The error shown beside `field`, after checking a screen reader is pointed to it."""
    page = response.content.decode()
    shown = re.search(rf'<p class="field-error" id="id_{field}_error">(.*?)</p>', page, re.S)
    assert shown, f"no error is shown beside {field!r}"
    widget = re.search(rf'<input[^>]*\bid="id_{field}"[^>]*>', page)
    assert widget, f"no input for {field!r}"
    assert 'aria-invalid="true"' in widget.group(0)
    described_by = re.search(r'aria-describedby="([^"]*)"', widget.group(0))
    assert described_by, f"{field!r} names no description"
    assert f"id_{field}_error" in described_by.group(1).split()
    assert re.search(r"\bautofocus\b", widget.group(0)), "the first field in error has the focus"
    return unescape(shown.group(1))


def has_field_error(response: Page, field: str) -> bool:
    return f'id="id_{field}_error"' in response.content.decode()
