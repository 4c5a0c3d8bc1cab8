"""The abuse checks of the login flow, one call at each point the flow reaches.

`phoneref.auth.services` calls `code_request_screen` before a code is made and
`code_send_spend` in the send's transaction, `code_verify_screen` before a code is checked
and `code_login_record` once one logged someone in; `phoneref.users.services` calls
`signup_record` and `activation_record`.
"""

from datetime import datetime

from phoneref.abuse.breaker import prefix_login_record, prefix_send_admit
from phoneref.abuse.budget import send_budget_on, send_budget_refund, send_budget_spend
from phoneref.abuse.captcha import captcha_verify
from phoneref.abuse.numbers import number_country_check, number_parse, number_type_check
from phoneref.abuse.referrals import referral_activation_record, signup_network_record
from phoneref.users.models import User


def code_request_screen(
    *, phone: str, client_ip: str, captcha_token: str | None, now: datetime
) -> None:
    """May a code be sent to `phone` (E.164) now? Raises phone_not_mobile,
    country_not_allowed, captcha_required, captcha_failed, or too_many_requests while the
    number's prefix is paused; counts the request for the prefix breaker."""
    number = number_parse(phone)
    number_type_check(number)
    number_country_check(number)
    captcha_verify(token=captcha_token, client_ip=client_ip)
    prefix_send_admit(number=number, now=now)


def code_send_needs_transaction() -> bool:
    return send_budget_on()


def code_send_spend(*, now: datetime) -> None:
    """Take the send from the all-sends budget, in the send's transaction."""
    send_budget_spend(now=now)


def code_send_refund(*, sent_at: datetime) -> None:
    """Give the send back to the all-sends budget: its SMS never went out."""
    send_budget_refund(sent_at=sent_at)


def code_verify_screen(*, phone: str) -> None:
    """A number that may not receive codes may not log in with one (country_not_allowed)."""
    number_country_check(number_parse(phone))


def code_login_record(*, phone: str, code_sent_at: datetime) -> None:
    prefix_login_record(number=number_parse(phone), sent_at=code_sent_at)


def signup_record(*, user: User, client_ip: str | None) -> None:
    if client_ip:
        signup_network_record(user=user, client_ip=client_ip)


def activation_record(
    *, referee: User, referrer_id: int, client_ip: str | None, now: datetime
) -> None:
    if client_ip:
        referral_activation_record(
            referee=referee, referrer_id=referrer_id, client_ip=client_ip, now=now
        )
