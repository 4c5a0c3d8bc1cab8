"""Limits and "only once" rules stay exact under parallel requests, on any number of servers.

Each request is on a connection of its own; behind the balancer they land on different
replicas, which share nothing but PostgreSQL.
"""

import asyncio

import httpx

from live.api_client import (
    ACTIVATE,
    PROFILE,
    REQUEST_CODE,
    VERIFY_CODE,
    assert_spread_over_replicas,
    bearer,
    log_in,
    new_phone,
    run,
    statuses,
)

CROWD = 20
FAILURES = 10  # OTP_FAILURES_PER_DAY: wrong codes per phone from one client, its default
INVITE_FAILURES = 10  # INVITE_FAILURES_PER_HOUR, its default


def test_a_crowd_of_code_requests_for_one_phone_sends_exactly_one_code(base_url):
    phone = new_phone()

    async def scenario(http: httpx.AsyncClient) -> list[httpx.Response]:
        return await asyncio.gather(
            *(http.post(REQUEST_CODE, json={"phone": phone}) for _ in range(CROWD))
        )

    responses = run(base_url, scenario)
    # The resend cooldown admits one send a minute.
    assert statuses(responses) == {(200, None): 1, (429, "too_many_requests"): CROWD - 1}
    assert all("retry-after" in r.headers for r in responses if r.status_code == 429)
    assert_spread_over_replicas(responses)


def test_a_crowd_of_wrong_codes_from_one_client_gets_exactly_the_allowed_tries(base_url):
    phone = new_phone()

    async def scenario(http: httpx.AsyncClient):
        sent = await http.post(REQUEST_CODE, json={"phone": phone})
        assert sent.status_code == 200, sent.text
        code = sent.json()["code"]
        wrong = "0000" if code != "0000" else "1111"
        crowd = await asyncio.gather(
            *(http.post(VERIFY_CODE, json={"phone": phone, "code": wrong}) for _ in range(CROWD))
        )
        right = await http.post(VERIFY_CODE, json={"phone": phone, "code": code})
        return crowd, right

    responses, right = run(base_url, scenario)
    assert statuses(responses) == {
        (400, "invalid_code"): FAILURES,
        (429, "too_many_attempts"): CROWD - FAILURES,
    }
    left = sorted(r.json()["attempts_left"] for r in responses if r.status_code == 400)
    assert left == list(range(FAILURES))
    assert_spread_over_replicas(responses)
    # This client has no tries left on this number, the right code included.
    assert statuses([right]) == {(429, "too_many_attempts"): 1}


def test_one_user_activating_many_codes_at_once_activates_exactly_one(base_url):
    """One wins; each refusal counts as a failed attempt, and those past the hourly cap are
    refused as too many."""

    async def scenario(http: httpx.AsyncClient):
        me, *referrers = await asyncio.gather(*(log_in(http) for _ in range(CROWD + 1)))
        responses = await asyncio.gather(
            *(
                http.post(
                    ACTIVATE,
                    json={"invite_code": referrer["profile"]["invite_code"]},
                    headers=bearer(me),
                )
                for referrer in referrers
            )
        )
        profile = await http.get(PROFILE, headers=bearer(me))
        return responses, profile.json()

    responses, profile = run(base_url, scenario)
    assert statuses(responses) == {
        (200, None): 1,
        (409, "invite_code_already_activated"): INVITE_FAILURES,
        (429, "too_many_requests"): CROWD - 1 - INVITE_FAILURES,
    }
    assert_spread_over_replicas(responses)
    (won,) = [r.json()["activated_invite_code"] for r in responses if r.status_code == 200]
    assert profile["activated_invite_code"] == won


def test_a_crowd_activating_one_code_at_once_is_counted_in_full(base_url):
    async def scenario(http: httpx.AsyncClient):
        referrer, *referees = await asyncio.gather(*(log_in(http) for _ in range(CROWD + 1)))
        code = referrer["profile"]["invite_code"]
        responses = await asyncio.gather(
            *(
                http.post(ACTIVATE, json={"invite_code": code}, headers=bearer(referee))
                for referee in referees
            )
        )
        profile = await http.get(PROFILE, headers=bearer(referrer))
        return responses, profile.json(), [referee["profile"]["phone"] for referee in referees]

    responses, profile, phones = run(base_url, scenario)
    assert statuses(responses) == {(200, None): CROWD}
    assert_spread_over_replicas(responses)
    assert profile["referrals_count"] == CROWD
    assert sorted(profile["referrals"]) == sorted(phones)
