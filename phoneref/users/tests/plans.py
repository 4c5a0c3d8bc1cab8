from django.db import connection

from phoneref.users.models import User


def ordered_plan(sql: str) -> str:
    """PostgreSQL's plan for `sql`, among the plans that read rows in order from an index."""
    with connection.cursor() as cursor:
        # On a small test table the planner would rather sort; on a table of millions it must
        # not have to, so sorting and whole-table scans are off the menu.
        cursor.execute(f"ANALYZE {User._meta.db_table}")
        for plan_type in ("seqscan", "bitmapscan", "sort"):
            cursor.execute(f"SET LOCAL enable_{plan_type} = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row for (row,) in cursor.fetchall())
