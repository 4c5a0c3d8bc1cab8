from django.apps import AppConfig
from django.db import connections


class CoreConfig(AppConfig):
    name = "phoneref.core"

    def ready(self) -> None:
        from phoneref.core.pool import use_connection_check

        for alias in connections:
            # Built here, not opened: Django opens it at the first query.
            use_connection_check(getattr(connections[alias], "pool", None))
