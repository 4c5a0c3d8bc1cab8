"""The production profile logs no error under the API suites and a burst of code requests.

Run last, after the Postman collection and the other live tests against the same server(s):
SERVER_LOGS names each server's output.
"""

import asyncio
import os
import re
from pathlib import Path

import httpx

from live.api_client import REQUEST_CODE, new_phone, run, statuses

BURST = 300
ERROR_LINE = re.compile(r"\b(ERROR|CRITICAL)\b|Traceback")


def test_a_burst_of_code_requests_is_answered_in_full(base_url):
    async def scenario(http: httpx.AsyncClient) -> list[httpx.Response]:
        return await asyncio.gather(
            *(http.post(REQUEST_CODE, json={"phone": new_phone()}) for _ in range(BURST))
        )

    assert statuses(run(base_url, scenario)) == {(200, None): BURST}


def test_the_servers_logged_no_error():
    logs = os.environ.get("SERVER_LOGS", "").split()
    assert logs, "SERVER_LOGS names no server output"
    for log in logs:
        text = Path(log).read_text(errors="replace")
        assert "request-code" in text, f"{log} is not the log of the server under test"
        errors = [line for line in text.splitlines() if ERROR_LINE.search(line)]
        assert errors == [], f"{log}:\n" + "\n".join(errors[:40])
