from django.apps import AppConfig
from django.db.backends.signals import connection_created

from phoneref.core.pool import on_connection_created


class CoreConfig(AppConfig):
    name = "phoneref.core"

    def ready(self) -> None:
        connection_created.connect(on_connection_created, dispatch_uid="phoneref.core.pool")
