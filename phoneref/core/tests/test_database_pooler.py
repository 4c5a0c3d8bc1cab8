"""DATABASE_POOLER: what the app leaves out behind a transaction-pooling proxy."""

import json

from phoneref.core.testing import run_django_script

SETTINGS = """
import json
import django
django.setup()
from django.db import connection
db = connection.settings_dict
no_server_cursors = db.get("DISABLE_SERVER_SIDE_CURSORS", False)
print(json.dumps({"options": db["OPTIONS"], "no_server_cursors": no_server_cursors}))
"""


def _settings_with(pooler: str) -> dict:
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": "postgres://app@db.invalid:6432/phoneref",
        "SECRET_KEY": "database-pooler-test",
        "DATABASE_POOLER": pooler,
    }
    done = run_django_script(SETTINGS, env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_direct_connections_prepare_the_hot_statements():
    db = _settings_with("none")
    assert db["options"]["server_side_binding"] is True
    assert db["options"]["prepare_threshold"] == 2
    assert db["no_server_cursors"] is False


def test_behind_a_transaction_pooler_nothing_outlives_a_transaction():
    db = _settings_with("transaction")
    assert "server_side_binding" not in db["options"]
    assert db["options"]["prepare_threshold"] is None
    assert db["no_server_cursors"] is True


def test_an_unknown_pooler_stops_the_start_with_a_clear_error():
    done = run_django_script(
        SETTINGS,
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_POOLER": "session",
            "SECRET_KEY": "database-pooler-test",
        },
    )
    assert done.returncode != 0
    assert "DATABASE_POOLER must be 'none' or 'transaction', not 'session'" in done.stderr
