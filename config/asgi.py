"""The application every server runs (`make run`, `make serve`): see phoneref.core.serving."""

import gc
import os
from importlib import import_module

from django.conf import settings
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

django_asgi = get_asgi_application()

# Imported once Django is set up: the router resolves URLs and answers with problem details.
from phoneref.core.serving import ViewKindRouter  # noqa: E402

application = ViewKindRouter(
    asgi_app=django_asgi,
    wsgi_app=get_wsgi_application(),
    threads=settings.WEB_THREADS,
    max_body_bytes=settings.REQUEST_BODY_MAX_BYTES,
)

# Everything loaded by now (Django, the apps, the URLconf and its views) lives as long as the
# process, yet the cyclic garbage collector walked all of it again and again: with a thousand
# code requests in flight it took about a tenth of the server's CPU. gc.freeze() leaves the
# loaded objects out of its sweeps, and a larger first-generation threshold (Python's default
# is 700 allocations) makes the young collections rarer. Measured in `make bench`.
import_module(settings.ROOT_URLCONF)  # the URLconf and its views, loaded before the freeze
gc.freeze()
gc.set_threshold(10_000, 10, 10)
