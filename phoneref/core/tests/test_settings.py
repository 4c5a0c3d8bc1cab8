"""Settings the environment must supply fail with a line that says what to set."""

import pytest

from phoneref.core.testing import run_django_script

MANAGE = "import runpy, sys; sys.argv = {argv!r}; runpy.run_path('manage.py', run_name='__main__')"


@pytest.mark.parametrize("command", ["purge_expired", "migrate"])
def test_a_command_without_secret_key_or_debug_says_what_to_set_in_one_line(command):
    result = run_django_script(
        MANAGE.format(argv=["manage.py", command]),
        {"DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "0", "SECRET_KEY": ""},
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "manage.py: SECRET_KEY is not set: set it (50+ random characters, see .env.example), "
        "or DEBUG=1 on a development machine."
    ]


def test_debug_needs_no_secret_key():
    result = run_django_script(
        MANAGE.format(argv=["manage.py", "check"]),
        {"DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "1", "SECRET_KEY": ""},
    )
    assert result.returncode == 0, result.stderr
