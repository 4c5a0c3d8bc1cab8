from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CoreConfig(AppConfig):
    name = "phoneref.core"

    def ready(self) -> None:
        from phoneref.core.pool import on_connection_created

        connection_created.connect(on_connection_created, dispatch_uid="phoneref.core.pool")
