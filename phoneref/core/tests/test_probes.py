"""Health probes answer whichever address a platform probes them at."""

import pytest


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
@pytest.mark.django_db
def test_probes_answer_a_platform_that_uses_an_unlisted_host(client, path):
    # Platforms probe containers by internal address, which ALLOWED_HOSTS does not list.
    assert client.get(path, HTTP_HOST="10.0.3.7:10000").status_code == 200


def test_other_paths_still_refuse_an_unlisted_host(client):
    assert client.get("/login/", HTTP_HOST="10.0.3.7:10000").status_code == 400
