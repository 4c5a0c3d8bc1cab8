"""/metrics of the production profile adds up every gunicorn worker's counts."""

import secrets
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

REQUESTS = 60
POOL_MAX = 20  # DATABASE_POOL_MAX, its default


@pytest.fixture(scope="module")
def token() -> str:
    return secrets.token_urlsafe(32)


@pytest.fixture(scope="module")
def server(start_server, token):
    return start_server(METRICS_TOKEN=token, WEB_CONCURRENCY="2")


def scrape(server, token: str) -> list[tuple[str, dict[str, str], float]]:
    with server.client(proxied=False) as client:
        response = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return [
        (sample.name, sample.labels, sample.value)
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    ]


def value(samples, name: str, **labels: str) -> float:
    return sum(v for n, found, v in samples if n == name and labels.items() <= found.items())


def test_the_counts_of_both_workers_appear_in_every_scrape(server, token):
    # A connection of its own each: the kernel spreads them over the workers' sockets.
    for _ in range(REQUESTS):
        with server.client(proxied=False) as client:
            assert client.get("/healthz").status_code == 200
    with server.client() as client:
        sent = client.post("/api/v1/auth/request-code/", json={"phone": "+79165550199"})
    assert sent.status_code == 200

    # Whichever worker answers a scrape, it reports both workers' requests.
    for _ in range(6):
        samples = scrape(server, token)
        healthz = value(
            samples, "phoneref_http_request_duration_seconds_count", route="/healthz", status="200"
        )
        assert healthz == REQUESTS
        assert value(samples, "phoneref_login_code_sends_total") == 1
        workers = {
            labels["pid"] for name, labels, v in samples if name == "phoneref_worker_up" and v == 1
        }
        assert len(workers) == 2, samples


def test_the_pool_usage_of_both_workers_is_reported(server, token):
    # Each worker samples its pool every few seconds.
    deadline = time.monotonic() + 30
    while value(scrape(server, token), "phoneref_db_pool_connections_max") != 2 * POOL_MAX:
        assert time.monotonic() < deadline, scrape(server, token)
        time.sleep(0.5)
    samples = scrape(server, token)
    assert 0 < value(samples, "phoneref_db_pool_connections") <= 2 * POOL_MAX


def test_without_the_token_the_metrics_are_refused(server):
    with server.client(proxied=False) as client:
        assert client.get("/metrics").status_code == 401
