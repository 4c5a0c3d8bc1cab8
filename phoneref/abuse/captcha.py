"""The optional bot check on request-code: a Turnstile or hCaptcha token, verified with the
provider's siteverify API (CAPTCHA_VERIFY_URL) and the client's address.

Both providers take a form POST of `secret`, `response` and `remoteip` (hCaptcha also
`sitekey`) and answer JSON whose `success` says whether the token is good. When the provider
cannot be reached, or says it failed itself, CAPTCHA_FAIL_OPEN decides: closed (the default)
refuses with captcha_failed, open lets the request through. The check is a sync call in the
code request's thread (the API's and the web page's alike), bounded by CAPTCHA_TIMEOUT_SECONDS.
"""

import logging
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from phoneref.core.errors import ServiceError, problems

logger = logging.getLogger(__name__)

CAPTCHA_UNAVAILABLE_MESSAGE = _("The check that you are human could not be made. Try again.")
# Turnstile's own failure, which its docs say to retry; not a verdict on the token.
_PROVIDER_FAILURES = {"internal-error"}


@dataclass(frozen=True)
class Provider:
    script: str
    # Where the widget's script, frames and styles come from, for the content security policy.
    origins: tuple[str, ...]
    css_class: str
    # The form field the widget fills with its token.
    field: str


PROVIDERS = {
    "turnstile": Provider(
        script="https://challenges.cloudflare.com/turnstile/v0/api.js",
        origins=("https://challenges.cloudflare.com",),
        css_class="cf-turnstile",
        field="cf-turnstile-response",
    ),
    "hcaptcha": Provider(
        script="https://js.hcaptcha.com/1/api.js",
        origins=("https://hcaptcha.com", "https://*.hcaptcha.com"),
        css_class="h-captcha",
        field="h-captcha-response",
    ),
}
# The directives each provider's widget needs opened (their CSP documentation).
_CSP_DIRECTIVES = {
    "turnstile": ("script-src", "frame-src"),
    "hcaptcha": ("script-src", "frame-src", "style-src", "connect-src"),
}


def captcha_provider() -> Provider | None:
    return PROVIDERS.get(settings.CAPTCHA_PROVIDER)


def captcha_content_security_policy() -> str:
    """The site's policy, opened for the configured provider's widget alone."""
    provider = captcha_provider()
    policy = settings.CONTENT_SECURITY_POLICY
    if provider is None:
        return policy
    sources = " ".join(provider.origins)
    opened = _CSP_DIRECTIVES[settings.CAPTCHA_PROVIDER]
    directives = []
    seen = set()
    for directive in policy.split(";"):
        name, _sep, value = directive.strip().partition(" ")
        seen.add(name)
        directives.append(f"{name} {value} {sources}" if name in opened else f"{name} {value}")
    directives += [f"{name} {sources}" for name in opened if name not in seen]
    return "; ".join(d.strip() for d in directives)


def captcha_verify(*, token: str | None, client_ip: str) -> None:
    """Raise captcha_required or captcha_failed unless the token passes (or the check is off)."""
    form = _form(token, client_ip)
    if form is None:
        return
    try:
        with httpx.Client(timeout=settings.CAPTCHA_TIMEOUT_SECONDS) as client:
            response = client.post(settings.CAPTCHA_VERIFY_URL, data=form)
    except httpx.HTTPError as exc:
        _provider_down(exc)
        return
    _judge(response)


def _form(token: str | None, client_ip: str) -> dict[str, str] | None:
    """What to post to siteverify; None when there is nothing to check."""
    if not settings.CAPTCHA_PROVIDER:
        return None
    if not isinstance(token, str) or not token.strip():
        raise ServiceError(problems.CAPTCHA_REQUIRED, field="captcha_token")
    form = {"secret": settings.CAPTCHA_SECRET_KEY, "response": token, "remoteip": client_ip}
    if settings.CAPTCHA_PROVIDER == "hcaptcha":
        form["sitekey"] = settings.CAPTCHA_SITE_KEY
    return form


def _judge(response: httpx.Response) -> None:
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if response.status_code >= 500 or not isinstance(answer, dict):
        _provider_down(f"HTTP {response.status_code}")
        return
    if answer.get("success") is True:
        return
    codes = answer.get("error-codes") or []
    if _PROVIDER_FAILURES.intersection(codes):
        _provider_down(", ".join(codes))
        return
    logger.info("captcha refused: %s", ", ".join(map(str, codes)) or "no reason given")
    raise ServiceError(problems.CAPTCHA_FAILED, field="captcha_token")


def _provider_down(reason) -> None:
    if settings.CAPTCHA_FAIL_OPEN:
        logger.warning("captcha provider unavailable (%s); letting the request through", reason)
        return
    logger.warning("captcha provider unavailable (%s); refusing the request", reason)
    raise ServiceError(
        problems.CAPTCHA_FAILED, field="captcha_token", detail=CAPTCHA_UNAVAILABLE_MESSAGE
    )
