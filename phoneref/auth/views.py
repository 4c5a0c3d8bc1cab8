"""Web pages of logging in. Thin: the rules are in `phoneref.auth.services`."""

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from phoneref.auth.forms import CodeForm, PhoneForm
from phoneref.auth.services import login_code_send, login_code_verify
from phoneref.core.errors import ServiceError
from phoneref.core.http import client_ip

SESSION_PHONE = "login_phone"
SESSION_DEMO_CODE = "login_demo_code"
SESSION_RESEND_AT = "login_resend_at"
# Set by the referral landing page, offered at sign-up.
SESSION_INVITE_CODE = "invite_code"

INVITE_ACTIVATED_MESSAGE = _("Invite code activated.")


async def _send_code(request: HttpRequest, phone: str) -> None:
    sent = await login_code_send(phone=phone, client_ip=client_ip(request))
    await request.session.aset(SESSION_PHONE, sent.phone)
    await request.session.aset(SESSION_RESEND_AT, timezone.now().timestamp() + sent.resend_in)
    if settings.DEMO_MODE:
        await request.session.aset(SESSION_DEMO_CODE, sent.code)


@never_cache
@require_http_methods(["GET", "POST"])
async def login_view(request: HttpRequest) -> HttpResponse:
    user = await request.auser()
    if user.is_authenticated:
        return redirect("profile")
    form = PhoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            await _send_code(request, form.cleaned_data["phone"])
        except ServiceError as error:
            form.add_service_error(error)
        else:
            return redirect("login-verify")
    invite_code = await request.session.aget(SESSION_INVITE_CODE)
    return await sync_to_async(render)(
        request, "auth/login.html", {"form": form, "invite_code": invite_code}
    )


@never_cache
@require_POST
async def resend_view(request: HttpRequest) -> HttpResponse:
    phone = await request.session.aget(SESSION_PHONE)
    if not phone:
        return redirect("login")
    try:
        await _send_code(request, phone)
    except ServiceError as error:
        await sync_to_async(messages.error)(request, error.message)
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
        try:
            login = login_code_verify(
                phone=phone,
                code=form.cleaned_data["code"],
                invite_code=form.cleaned_data["invite_code"] or None,
            )
        except ServiceError as error:
            form.add_service_error(error)
        else:
            auth_login(request, login.user, backend="django.contrib.auth.backends.ModelBackend")
            for key in (SESSION_PHONE, SESSION_DEMO_CODE, SESSION_RESEND_AT, SESSION_INVITE_CODE):
                request.session.pop(key, None)
            if login.invite_error is not None:
                messages.error(request, login.invite_error.message)
            elif form.cleaned_data["invite_code"]:
                messages.success(request, INVITE_ACTIVATED_MESSAGE)
            return redirect("profile")
    resend_at = request.session.get(SESSION_RESEND_AT, 0)
    context = {
        "form": form,
        "phone": phone,
        "demo_code": request.session.get(SESSION_DEMO_CODE) if settings.DEMO_MODE else None,
        "resend_in": max(0, round(resend_at - timezone.now().timestamp())),
    }
    return render(request, "auth/verify.html", context)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    return redirect("login")
