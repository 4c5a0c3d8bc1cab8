"""PostgreSQL is the one database: any other DATABASE_URL stops the process at start-up with
one line that says so, before anything can half-work on it."""

import pytest

from phoneref.core.testing import run_django_script

MANAGE = "import runpy, sys; sys.argv = {argv!r}; runpy.run_path('manage.py', run_name='__main__')"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("sqlite:///var/db.sqlite3", "names a sqlite:// database"),
        ("mysql://user@127.0.0.1/phoneref", "names a mysql:// database"),
        ("no-scheme-at-all", "is not a PostgreSQL URL"),
        ("", "is not set"),
    ],
)
@pytest.mark.parametrize("command", ["check", "migrate"])
def test_a_database_other_than_postgresql_is_refused_at_start_up_in_one_line(url, problem, command):
    result = run_django_script(
        MANAGE.format(argv=["manage.py", command]),
        {"DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": url, "DEBUG": "1"},
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"manage.py: DATABASE_URL {problem}: phoneref needs PostgreSQL, e.g. "
        "DATABASE_URL=postgres://user:password@host:5432/phoneref "
        "(`make run` and `make test` start one of their own when it is unset)."
    ]
