"""Requests whose user has signed in, for the views that admit no one else.

Django and DRF type `request.user` as a user or AnonymousUser. Behind `login_required` or
DRF's `IsAuthenticated` it is always a User, and annotating the view's request with one of
these says so to the type checker. Nothing makes them: the request is Django's or DRF's.
"""

from django.http import HttpRequest
from rest_framework.request import Request

from phoneref.users.models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User


class AuthenticatedRequest(Request):
    user: User
