"""The application every server runs (`make run`, `make serve`): see phoneref.server.app."""

import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

django_wsgi = get_wsgi_application()

# Imported once Django is set up: the bridge resolves URLs and answers with problem details.
from phoneref.server.app import WsgiBridge, gc_freeze_loaded  # noqa: E402

application = WsgiBridge(
    wsgi_app=django_wsgi,
    threads=settings.WEB_THREADS,
    max_body_bytes=settings.REQUEST_BODY_MAX_BYTES,
)

import_module(settings.ROOT_URLCONF)  # the URLconf and its views, loaded before the freeze
gc_freeze_loaded()
