"""Web pages of logging in. Thin: the rules are in `phoneref.auth.services`."""

from functools import partial

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from phoneref.abuse.captcha import captcha_content_security_policy, captcha_provider
from phoneref.auth.backends import PHONE_CODE_BACKEND
from phoneref.auth.forms import CodeForm, PhoneForm
from phoneref.auth.services import Login, login_code_deliver, login_code_request, login_code_verify
from phoneref.core.errors import ServiceError, problems
from phoneref.core.forms import service_error_text
from phoneref.core.http import client_ip, request_host
from phoneref.server.deferral import RefusalAnswer, defer_until_released
from phoneref.users.forms import InviteActivateForm
from phoneref.users.invite_codes import invite_code_normalize
from phoneref.users.pending_invite import (
    INVITE_ACTIVATED_MESSAGE,
    SESSION_INVITE_CODE,
    SESSION_INVITE_ERROR,
)
from phoneref.users.services import invite_code_refusal

SESSION_PHONE = "login_phone"
SESSION_DEMO_CODE = "login_demo_code"
SESSION_RESEND_AT = "login_resend_at"
# Why the last "send a new code" was refused, shown once beside that button.
SESSION_RESEND_ERROR = "login_resend_error"
_LOGIN_KEYS = (SESSION_PHONE, SESSION_DEMO_CODE, SESSION_RESEND_AT, SESSION_RESEND_ERROR)

CODE_SENT_MESSAGE = _("A new code has been sent.")
WELCOME_NEW_MESSAGE = _("Welcome! Your account is ready.")
WELCOME_BACK_MESSAGE = _("Welcome back!")
INVITE_NOT_ACTIVATED_MESSAGE = _("You are signed in, but the invite code was not activated.")
LOGGED_OUT_MESSAGE = _("You have logged out.")


def render_with_captcha(
    request: HttpRequest, template: str, context: dict, status: int = 200
) -> HttpResponse:
    """A page with a form that sends a code: with the bot check's widget when one is
    configured, and only then a content security policy that lets its provider in."""
    provider = captcha_provider()
    if provider is None:
        return render(request, template, context, status=status)
    context = {**context, "captcha": provider, "captcha_site_key": settings.CAPTCHA_SITE_KEY}
    response = render(request, template, context, status=status)
    response["Content-Security-Policy"] = captcha_content_security_policy()
    return response


def _captcha_token(request: HttpRequest) -> str | None:
    provider = captcha_provider()
    return request.POST.get(provider.field) if provider is not None else None


def _send_code(request: HttpRequest, phone: str, *, if_refused: RefusalAnswer) -> None:
    """Make a code for `phone` and send it once this thread is free (phoneref.server.deferral).

    A refusal of the code itself (a limit, the bot check) is raised here. The SMS wait comes
    after the view; a refusal there is `if_refused`'s answer instead of the view's.
    """
    sent = login_code_request(
        phone=phone, client_ip=client_ip(request), captcha_token=_captcha_token(request)
    )
    deliver = partial(
        login_code_deliver, sent, language=translation.get_language(), host=request_host(request)
    )
    defer_until_released(request, deliver, if_refused=if_refused)
    # Written before the SMS goes out; if it then fails the page says so, and these only let
    # the visitor try again without typing the number anew.
    request.session[SESSION_PHONE] = sent.phone
    request.session[SESSION_RESEND_AT] = timezone.now().timestamp() + sent.resend_in
    if settings.DEMO_MODE:
        request.session[SESSION_DEMO_CODE] = sent.code


def _back_to(request: HttpRequest, page: str) -> RefusalAnswer:
    """A refusal of the SMS as an answer made on the event loop: back to `page`, with the reason
    as a one-time message. The message goes in its cookie, not in the session, whose store is
    the database, which the event loop must not touch."""

    def answer(error: ServiceError) -> HttpResponse:
        response = redirect(page)
        notes = CookieStorage(request)
        notes.add(messages.ERROR, service_error_text(error))
        notes.update(response)
        return response

    return answer


@never_cache
@sensitive_post_parameters("phone")
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Ask for the phone number and send a code."""
    if request.user.is_authenticated:
        return redirect("profile")
    form = PhoneForm(request.POST or None, initial={"phone": request.session.get(SESSION_PHONE)})
    if request.method == "POST" and form.is_valid():
        try:
            _send_code(request, form.cleaned_data["phone"], if_refused=_back_to(request, "login"))
        except ServiceError as error:
            form.add_service_error(error)
        else:
            return redirect("login-verify")
    context = {"form": form, "invite_code": request.session.get(SESSION_INVITE_CODE)}
    return render_with_captcha(request, "auth/login.html", context)


@never_cache
@require_POST
def resend_view(request: HttpRequest) -> HttpResponse:
    phone = request.session.get(SESSION_PHONE)
    if not phone:
        return redirect("login")
    try:
        _send_code(request, phone, if_refused=_back_to(request, "login-verify"))
    except ServiceError as error:
        request.session[SESSION_RESEND_ERROR] = service_error_text(error)
        if error.retry_after:
            request.session[SESSION_RESEND_AT] = timezone.now().timestamp() + error.retry_after
    else:
        messages.success(request, CODE_SENT_MESSAGE)
    return redirect("login-verify")


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def verify_view(request: HttpRequest) -> HttpResponse:
    phone = request.session.get(SESSION_PHONE)
    if not phone:
        return redirect("login")
    form = CodeForm(
        request.POST or None, initial={"invite_code": request.session.get(SESSION_INVITE_CODE)}
    )
    if request.method == "POST" and form.is_valid():
        invite_code = form.cleaned_data["invite_code"]
        try:
            login = login_code_verify(
                phone=phone,
                code=form.cleaned_data["code"],
                client_ip=client_ip(request),
                invite_code=invite_code or None,
            )
        except ServiceError as error:
            form.add_service_error(error)
        else:
            _log_in(request, login, invite_code=invite_code)
            return redirect("profile")
    resend_at = request.session.get(SESSION_RESEND_AT, 0)
    resend_in = max(0, round(resend_at - timezone.now().timestamp()))
    context = {
        "form": form,
        "phone": phone,
        "demo_code": request.session.get(SESSION_DEMO_CODE) if settings.DEMO_MODE else None,
        # The page counts down from here with a script; without one the text still says when.
        "resend_in": resend_in,
        "resend_countdown": f"{resend_in // 60}:{resend_in % 60:02d}",
        "resend_error": request.session.pop(SESSION_RESEND_ERROR, None),
        "code_minutes": settings.OTP_TTL_SECONDS // 60,
    }
    return render_with_captcha(request, "auth/verify.html", context)


def _log_in(request: HttpRequest, login: Login, *, invite_code: str) -> None:
    """Start the session and say what happened, the invite code's fate included."""
    auth_login(request, login.user, backend=PHONE_CODE_BACKEND)
    for key in _LOGIN_KEYS:
        request.session.pop(key, None)
    messages.success(request, WELCOME_NEW_MESSAGE if login.is_new_user else WELCOME_BACK_MESSAGE)
    if login.invite_error is not None:
        # The profile shows the code again in its form, with the reason beside it.
        request.session[SESSION_INVITE_CODE] = invite_code
        request.session[SESSION_INVITE_ERROR] = service_error_text(login.invite_error)
        messages.warning(request, INVITE_NOT_ACTIVATED_MESSAGE)
    elif invite_code:
        request.session.pop(SESSION_INVITE_CODE, None)
        activated = invite_code_normalize(invite_code)
        messages.success(request, INVITE_ACTIVATED_MESSAGE % {"code": activated})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    messages.info(request, LOGGED_OUT_MESSAGE)
    return redirect("login")


# The landing page tells only refusals about the user's own account. Whether someone else's
# code exists, or would close a loop, only the activation tells, where each refusal counts
# towards the hourly limit: a page anyone may reload freely must not, or it would list codes.
_LANDING_REFUSALS = {problems.INVITE_CODE_IS_OWN.code, problems.INVITE_CODE_ALREADY_ACTIVATED.code}


@never_cache
@require_GET
def invite_landing_view(request: HttpRequest, code: str) -> HttpResponse:
    """A shared referral link: remember the code and offer it at sign-up or on the profile."""
    try:
        invite_code = invite_code_normalize(code)
    except ServiceError:
        return render(request, "auth/invite_landing.html", {"broken_link": True}, status=404)
    user = request.user
    context: dict = {"invite_code": invite_code}
    if not user.is_authenticated:
        request.session[SESSION_INVITE_CODE] = invite_code
        context["phone_form"] = PhoneForm()
        return render_with_captcha(request, "auth/invite_landing.html", context)
    refusal = invite_code_refusal(user=user, invite_code=invite_code)
    if refusal is None or refusal.code not in _LANDING_REFUSALS:
        request.session[SESSION_INVITE_CODE] = invite_code
        context["activate_form"] = InviteActivateForm(initial={"invite_code": invite_code})
    else:
        context["refusal"] = refusal
        if refusal.code == problems.INVITE_CODE_IS_OWN.code:
            context["own_code"] = True
        elif user.referred_by is not None:
            context["activated_code"] = user.referred_by.invite_code
    return render(request, "auth/invite_landing.html", context)
