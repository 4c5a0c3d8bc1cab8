"""`make run` serves the demo on SQLite: the API's raw SQL must work there too.

The test suite runs on PostgreSQL; this runs the API flow once in a process of its own on a
fresh SQLite database, as `make run` does.
"""

import json

from phoneref.core.testing import run_django_script

FLOW = """
import json
import django
django.setup()
from django.core.management import call_command
from rest_framework.test import APIClient

call_command("migrate", verbosity=0)


def logged_in(phone):
    client = APIClient()
    sent = client.post("/api/v1/auth/request-code/", {"phone": phone}, format="json").json()
    login = client.post(
        "/api/v1/auth/verify-code/", {"phone": phone, "code": sent["code"]}, format="json"
    ).json()
    client.credentials(HTTP_AUTHORIZATION="Bearer " + login["token"])
    return client


referrer, referee = logged_in("+79160000001"), logged_in("+79160000002")
code = referrer.get("/api/v1/profile/").json()["invite_code"]
activated = referee.post("/api/v1/profile/activate-invite/", {"invite_code": code}, format="json")
print(json.dumps({
    "activated": activated.status_code,
    "referee": referee.get("/api/v1/profile/").json(),
    "referrer": referrer.get("/api/v1/profile/").json(),
    "page": referrer.get("/api/v1/profile/referrals/").json(),
    "logout": referee.post("/api/v1/auth/logout/").status_code,
    "after_logout": referee.get("/api/v1/profile/").status_code,
}))
"""


def test_the_api_flow_works_on_sqlite(tmp_path):
    done = run_django_script(
        FLOW,
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "SECRET_KEY": "development-database-test",
            "DEBUG": "1",
            "DEMO_MODE": "1",
            "OTP_DELAY_MIN": "0",
            "OTP_DELAY_MAX": "0",
            "ALLOWED_HOSTS": "testserver",
            "LOG_LEVEL": "WARNING",
        },
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])

    assert seen["activated"] == 200
    assert seen["referee"]["activated_invite_code"] == seen["referrer"]["invite_code"]
    assert seen["referrer"]["referrals"] == ["+79160000002"]
    assert seen["referrer"]["referrals_count"] == 1
    assert seen["referrer"]["date_joined"].endswith("Z")
    assert [item["phone"] for item in seen["page"]["results"]] == ["+79160000002"]
    assert (seen["logout"], seen["after_logout"]) == (204, 401)
