"""`migrate` that several replicas may run at once on start: they take turns."""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connections

# Any constant the other users of this database do not use as an advisory lock key.
MIGRATION_LOCK_KEY = 0x70686F6E65726566  # "phoneref"


class Command(BaseCommand):
    help = "Apply migrations while holding a PostgreSQL advisory lock, so only one process does."

    def handle(self, *args, **options) -> None:
        # The lock is held by a transaction left open on a connection of its own while
        # migrate runs on the usual one. A transaction-level lock, so it also holds behind a
        # transaction-pooling proxy (DATABASE_POOLER=transaction), which would hand a session
        # lock's unlock to another server connection; and migrate keeps its own transactions,
        # one per migration. The server drops the lock if this process dies.
        holder = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            holder.set_autocommit(False)
            with holder.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [MIGRATION_LOCK_KEY])
            call_command("migrate", interactive=False, verbosity=options["verbosity"])
        finally:
            holder.rollback()
            holder.close()
