"""Web pages of the profile and referral links. Thin: the rules are in the services."""

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from phoneref.auth.views import INVITE_ACTIVATED_MESSAGE, SESSION_INVITE_CODE
from phoneref.core.errors import ServiceError
from phoneref.users.forms import InviteActivateForm
from phoneref.users.invite_codes import invite_code_normalize
from phoneref.users.selectors import profile_get, referral_list
from phoneref.users.services import invite_code_activate

REFERRALS_PER_PAGE = 20


@require_GET
def home_view(request: HttpRequest) -> HttpResponse:
    return redirect("profile" if request.user.is_authenticated else "login")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def profile_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = InviteActivateForm(
        request.POST or None, initial={"invite_code": request.session.get(SESSION_INVITE_CODE)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            invite_code_activate(user=user, invite_code=form.cleaned_data["invite_code"])
        except ServiceError as error:
            form.add_service_error(error)
        else:
            request.session.pop(SESSION_INVITE_CODE, None)
            messages.success(request, INVITE_ACTIVATED_MESSAGE)
            return redirect("profile")
    profile = profile_get(user=user)
    invite_link = request.build_absolute_uri(
        reverse("invite-landing", kwargs={"code": profile.invite_code})
    )
    referrals = Paginator(referral_list(user=user), REFERRALS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "profile": profile,
        "form": form,
        "invite_link": invite_link,
        "qr_svg": segno.make(invite_link, error="m").svg_inline(scale=4, dark="#1f2933"),
        "referrals": referrals,
    }
    return render(request, "users/profile.html", context)


@never_cache
@require_GET
def invite_landing_view(request: HttpRequest, code: str) -> HttpResponse:
    """A shared referral link: remember the code and offer it at sign-up or on the profile."""
    try:
        request.session[SESSION_INVITE_CODE] = invite_code_normalize(code)
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect("profile" if request.user.is_authenticated else "login")
