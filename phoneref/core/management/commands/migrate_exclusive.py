"""`migrate` that several replicas may run at once on start: they take turns."""

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

# Any constant the other users of this database do not use as an advisory lock key.
MIGRATION_LOCK_KEY = 0x70686F6E65726566  # "phoneref"


class Command(BaseCommand):
    help = "Apply migrations while holding a PostgreSQL advisory lock, so only one process does."

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            call_command("migrate", interactive=False, verbosity=options["verbosity"])
            return
        with connection.cursor() as cursor:
            # Session-level: released by the unlock below, or by the server if we die.
            cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK_KEY])
            try:
                call_command("migrate", interactive=False, verbosity=options["verbosity"])
            finally:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK_KEY])
