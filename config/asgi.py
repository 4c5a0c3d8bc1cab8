"""The application every server runs (`make run`, `make serve`): see phoneref.core.serving."""

import os
from importlib import import_module

from django.conf import settings
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

django_asgi = get_asgi_application()

# Imported once Django is set up: the router resolves URLs and answers with problem details.
from phoneref.core.serving import ViewKindRouter, gc_freeze_loaded  # noqa: E402

application = ViewKindRouter(
    asgi_app=django_asgi,
    wsgi_app=get_wsgi_application(),
    threads=settings.WEB_THREADS,
    max_body_bytes=settings.REQUEST_BODY_MAX_BYTES,
)

import_module(settings.ROOT_URLCONF)  # the URLconf and its views, loaded before the freeze
gc_freeze_loaded()
