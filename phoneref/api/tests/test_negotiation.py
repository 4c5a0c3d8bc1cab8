"""Our negotiation's shortcut answers exactly what DRF's own negotiation does."""

import pytest
from django.http import Http404
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from phoneref.api.negotiation import JsonFirstNegotiation

ACCEPTS = [
    None,
    "*/*",
    "application/json",
    "application/json; indent=4",
    "application/*",
    "text/html",
    "text/html, application/json;q=0.5",
    "",
    "image/png",
]
QUERIES = ["", "format=json", "format=api", "format=xml", "page_size=5"]
RENDERER_SETS = [[JSONRenderer()], [BrowsableAPIRenderer(), JSONRenderer()]]


def selected(negotiation, request, renderers):
    try:
        renderer, media_type = negotiation.select_renderer(request, renderers)
    except (NotAcceptable, Http404) as exc:
        return type(exc)
    return type(renderer), media_type


@pytest.mark.parametrize("renderers", RENDERER_SETS, ids=["json", "browsable+json"])
@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("accept", ACCEPTS)
def test_the_same_renderer_and_media_type_as_drf(accept, query, renderers):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get(f"/api/v1/profile/?{query}", **headers))

    ours = selected(JsonFirstNegotiation(), request, renderers)

    assert ours == selected(DefaultContentNegotiation(), request, renderers)


def test_the_api_answers_json_without_an_accept_header(api_client):
    response = api_client.get("/api/v1/profile/")
    assert response["Content-Type"] == "application/problem+json"
