"""Schemathesis hooks: log in through the demo flow, as any API client would.

The server must run with DEMO_MODE=1 so that the code comes back in the response. Operations on
the profile share one user; each log-out case logs in a user of its own, because logging out
(and logging out everywhere) revokes the token it is made with.
"""

import os
import secrets

import requests
import schemathesis

BASE_URL = os.environ["BASE_URL"]


def random_phone() -> str:
    """A valid Moscow mobile number, fresh enough that no send limit has seen it."""
    return "+7916" + "".join(secrets.choice("0123456789") for _ in range(7))


def log_in() -> str:
    phone = random_phone()
    sent = requests.post(f"{BASE_URL}/api/v1/auth/request-code/", json={"phone": phone}, timeout=10)
    sent.raise_for_status()
    verified = requests.post(
        f"{BASE_URL}/api/v1/auth/verify-code/",
        json={"phone": phone, "code": sent.json()["code"]},
        timeout=10,
    )
    verified.raise_for_status()
    return verified.json()["token"]


class BearerLogin:
    def get(self, case, ctx) -> str:
        return log_in()

    def set(self, case, data: str, ctx) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@schemathesis.auth().apply_to(path_regex="^/api/v1/profile/")
class ProfileUser(BearerLogin):
    """One user for every profile operation, logged in again if its token is ever refused."""


@schemathesis.auth(refresh_interval=None).apply_to(path_regex="^/api/v1/auth/logout")
class LogoutUser(BearerLogin):
    """A new user for every log-out case."""
