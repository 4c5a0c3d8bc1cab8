"""Replicas starting together migrate one at a time."""

import threading
import time

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from phoneref.core.management.commands.migrate_exclusive import MIGRATION_LOCK_KEY


@pytest.mark.django_db(transaction=True)
def test_migrate_waits_while_another_process_holds_the_migration_lock():
    params = connection.get_connection_params()
    finished = threading.Event()

    def migrate() -> None:
        try:
            call_command("migrate_exclusive", verbosity=0)
            finished.set()
        finally:
            connection.close()  # this thread's own connection

    with psycopg.connect(**params) as other_replica:
        # Held as migrate_exclusive holds it: by an open transaction.
        other_replica.execute("SELECT pg_advisory_xact_lock(%s)", [MIGRATION_LOCK_KEY])
        waiting = threading.Thread(target=migrate)
        waiting.start()
        time.sleep(0.5)
        assert not finished.is_set()
        other_replica.rollback()
        waiting.join(timeout=30)
    assert finished.is_set()
