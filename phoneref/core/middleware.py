"""Middleware of our own: the request id, a default content security policy, health probes."""

from functools import cached_property

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import resolve, reverse

from phoneref.core.logs import REQUEST_ID_HEADER, request_id_from, request_id_var


class _SyncAndAsync:
    """Runs on either handler without a thread hop: it matches its inner handler's kind."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest):
        if self.is_async:
            return self.__acall__(request)
        state = self.before(request)
        return self.after(request, self.get_response(request), state)

    async def __acall__(self, request: HttpRequest):
        state = self.before(request)
        return self.after(request, await self.get_response(request), state)

    def before(self, request: HttpRequest):
        return None

    def after(self, request: HttpRequest, response: HttpResponse, state) -> HttpResponse:
        return response


class RequestIdMiddleware(_SyncAndAsync):
    """Names each request: X-Request-ID on the response and on every log line written for it.

    The server (phoneref.core.serving) has already put a valid id in the header and logs the
    request's line; served any other way, an id is made here.
    """

    def before(self, request: HttpRequest):
        request.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER, ""))
        return request_id_var.set(request.request_id)

    def after(self, request: HttpRequest, response: HttpResponse, state) -> HttpResponse:
        response[REQUEST_ID_HEADER] = request.request_id
        request_id_var.reset(state)
        return response


class ContentSecurityPolicyMiddleware(_SyncAndAsync):
    """CONTENT_SECURITY_POLICY on every response that does not bring its own policy."""

    def after(self, request: HttpRequest, response: HttpResponse, state) -> HttpResponse:
        if settings.CONTENT_SECURITY_POLICY:
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


class HealthProbeMiddleware:
    """/healthz and /readyz answer whatever the request's Host header says.

    A platform probes a container at its internal address (an IP, a generated name) that
    ALLOWED_HOSTS does not list, and Django would answer 400 and have the instance taken for
    dead. The probes say nothing that depends on the host, so they are answered before
    CommonMiddleware checks it.
    """

    sync_capable = True
    async_capable = True
    PROBES = ("healthz", "readyz")

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    @cached_property
    def probe_paths(self) -> frozenset[str]:
        return frozenset(reverse(name) for name in self.PROBES)

    def __call__(self, request: HttpRequest):
        if self.is_async:
            return self.__acall__(request)
        if request.path_info in self.probe_paths:
            return resolve(request.path_info).func(request)
        return self.get_response(request)

    async def __acall__(self, request: HttpRequest):
        if request.path_info in self.probe_paths:
            return await sync_to_async(resolve(request.path_info).func)(request)
        return await self.get_response(request)
