"""What only the JSON API uses, on top of DRF: the one exception handler, the OpenAPI schema's
shared parts, content negotiation, the JSON parser and the reference pages.

The apps' `api.py` views import it; the domain (services, selectors, models) never does.
"""
