"""Status callbacks of the providers: each moves a delivery record on, once authenticated.

Twilio signs its requests (X-Twilio-Signature); SMS.ru's callback is authenticated by the
secret in its URL's query string. Anything else is refused with 403 and changes nothing.
"""

import base64
import hashlib
import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from phoneref.core.errors import problems
from phoneref.core.problem_details import PROBLEM_CONTENT_TYPE, problem_json
from phoneref.sms.models import Delivery
from phoneref.sms.services import delivery_status_update

# https://www.twilio.com/docs/messaging/guides/track-outbound-message-status
_TWILIO_STATUS = {
    "queued": Delivery.Status.QUEUED,
    "accepted": Delivery.Status.QUEUED,
    "scheduled": Delivery.Status.QUEUED,
    "sending": Delivery.Status.QUEUED,
    "sent": Delivery.Status.SENT,
    "delivered": Delivery.Status.DELIVERED,
    "read": Delivery.Status.DELIVERED,
    "undelivered": Delivery.Status.UNDELIVERED,
    "failed": Delivery.Status.FAILED,
    "canceled": Delivery.Status.FAILED,
}
# https://sms.ru/api/status: 100-102 on the way, 103 delivered, 110 read, 104-108 and 150 not.
_SMSRU_STATUS = {
    100: Delivery.Status.QUEUED,
    101: Delivery.Status.QUEUED,
    102: Delivery.Status.SENT,
    103: Delivery.Status.DELIVERED,
    110: Delivery.Status.DELIVERED,
    104: Delivery.Status.UNDELIVERED,
    105: Delivery.Status.UNDELIVERED,
    106: Delivery.Status.UNDELIVERED,
    107: Delivery.Status.UNDELIVERED,
    108: Delivery.Status.UNDELIVERED,
    150: Delivery.Status.UNDELIVERED,
}


def twilio_signature(*, url: str, params: dict[str, list[str]], auth_token: str) -> str:
    """Twilio's request signature: HMAC-SHA1 of the URL followed by each POST parameter's
    name and value, names sorted, keyed by the auth token, in base64."""
    payload = url + "".join(
        name + value for name in sorted(params) for value in sorted(params[name])
    )
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _refused() -> HttpResponse:
    problem = problems.PERMISSION_DENIED
    return HttpResponse(
        problem_json(problem), status=problem.status, content_type=PROBLEM_CONTENT_TYPE
    )


@csrf_exempt
@require_POST
def twilio_status_view(request: HttpRequest) -> HttpResponse:
    token = settings.TWILIO_AUTH_TOKEN
    signature = request.headers.get("X-Twilio-Signature", "")
    # The URL Twilio was given is the one it signs; behind proxies the request's own may differ.
    url = settings.TWILIO_STATUS_CALLBACK_URL or request.build_absolute_uri()
    params = dict(request.POST.lists())
    expected = twilio_signature(url=url, params=params, auth_token=token) if token else ""
    if not (token and signature and constant_time_compare(signature, expected)):
        return _refused()
    status = _TWILIO_STATUS.get(request.POST.get("MessageStatus", ""))
    if status is not None:
        error = request.POST.get("ErrorCode", "")
        delivery_status_update(
            backend="twilio",
            provider_message_id=request.POST.get("MessageSid", ""),
            status=status,
            error_code=f"twilio_{error}" if error else "",
        )
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def smsru_status_view(request: HttpRequest) -> HttpResponse:
    # In the query string, which the access log leaves out, rather than in the path.
    secret = request.GET.get("secret", "")
    expected = settings.SMSRU_CALLBACK_SECRET
    if not (expected and secret and constant_time_compare(secret, expected)):
        return _refused()
    # Each entry: "sms_status\n<sms id>\n<status code>\n<unix time>"; others are ignored.
    for entry in request.POST.getlist("data[]"):
        kind, _, rest = entry.partition("\n")
        if kind.strip() != "sms_status":
            continue
        sms_id, _, rest = rest.partition("\n")
        code, _, _ = rest.partition("\n")
        status = _SMSRU_STATUS.get(int(code)) if code.strip().isdigit() else None
        if status is not None:
            delivery_status_update(
                backend="smsru",
                provider_message_id=sms_id.strip(),
                status=status,
                error_code=f"smsru_{int(code)}" if status == Delivery.Status.UNDELIVERED else "",
            )
    # SMS.ru repeats a callback until it is answered "100".
    return HttpResponse("100", content_type="text/plain")
