"""Web pages of the profile. Thin: the rules are in the services."""

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from phoneref.core.errors import ServiceError
from phoneref.core.http import client_ip
from phoneref.users.forms import InviteActivateForm
from phoneref.users.invite_codes import invite_code_normalize, invite_link
from phoneref.users.pending_invite import (
    INVITE_ACTIVATED_MESSAGE,
    SESSION_INVITE_CODE,
    SESSION_INVITE_ERROR,
)
from phoneref.users.requests import AuthenticatedHttpRequest
from phoneref.users.selectors import (
    REFERRAL_PAGE_SIZE,
    InvalidReferralCursor,
    ReferralCursor,
    profile_get,
    referral_cursor_decode,
    referral_page,
)
from phoneref.users.services import invite_code_activate

QR_TITLE = _("QR code of your invite link")


@never_cache
@require_GET
def home_view(request: HttpRequest) -> HttpResponse:
    return redirect("profile" if request.user.is_authenticated else "login")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def profile_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        form = InviteActivateForm(request.POST)
        if form.is_valid():
            try:
                invite_code_activate(
                    user=user,
                    invite_code=form.cleaned_data["invite_code"],
                    client_ip=client_ip(request),
                )
            except ServiceError as error:
                form.add_service_error(error)
            else:
                request.session.pop(SESSION_INVITE_CODE, None)
                code = invite_code_normalize(form.cleaned_data["invite_code"])
                messages.success(request, INVITE_ACTIVATED_MESSAGE % {"code": code})
                return redirect("profile")
    else:
        form = _pending_invite_form(request)
    profile = profile_get(user=user)
    link = invite_link(request, profile.invite_code)
    qr = segno.make(link, error="m")
    context = {
        "profile": profile,
        "form": form,
        "invite_link": link,
        "qr_svg": qr.svg_inline(scale=1, border=2, omitsize=True, title=str(QR_TITLE)),
        "page": referral_page(
            user=user, size=REFERRAL_PAGE_SIZE, cursor=_page_cursor(request.GET.get("cursor"))
        ),
    }
    return render(request, "users/profile.html", context)


def _page_cursor(text: str | None) -> ReferralCursor | None:
    """The cursor of a pager link; None, the newest page, for a mangled link or none."""
    try:
        return referral_cursor_decode(text) if text else None
    except InvalidReferralCursor:
        return None


def _pending_invite_form(request: HttpRequest) -> InviteActivateForm:
    """The activation form, filled with the code from a referral link or from sign-up.

    When that code was refused at sign-up, the form shows it with the reason beside it: a
    bound form, since only a bound form carries errors.
    """
    invite_error = request.session.pop(SESSION_INVITE_ERROR, None)
    if invite_error is None:
        return InviteActivateForm(initial={"invite_code": request.session.get(SESSION_INVITE_CODE)})
    form = InviteActivateForm({"invite_code": request.session.pop(SESSION_INVITE_CODE, "")})
    form.is_valid()
    form.add_error("invite_code", invite_error)
    return form
