from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from phoneref.core.errors import ServiceError
from phoneref.core.phones import phone_to_e164
from phoneref.users.invite_codes import MAX_INPUT_LENGTH
from phoneref.users.models import User
from phoneref.users.services import invite_code_activate


class ActivateInviteForm(forms.Form):
    invite_code = forms.CharField(label=_("Invite code"), max_length=MAX_INPUT_LENGTH)


class UserCreationForm(BaseUserCreationForm):
    """Staff accounts: a phone and a password, made by the manager that makes everyone."""

    class Meta:
        model = User
        fields = ["phone"]

    def clean_phone(self) -> str:
        try:
            return phone_to_e164(self.cleaned_data["phone"])
        except ServiceError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None

    def save(self, commit: bool = True) -> User:
        user = User.objects.create_user(
            self.cleaned_data["phone"], password=self.cleaned_data["password1"]
        )
        self.instance = user
        return user

    def save_m2m(self) -> None:
        """The admin calls it after save(commit=False): this form sets no many-to-many field."""


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["-date_joined"]
    list_display = ["phone", "invite_code", "referred_by", "referrals_count", "date_joined"]
    list_filter = ["is_staff", "is_active"]
    search_fields = ["phone", "invite_code"]
    list_select_related = ["referred_by"]
    raw_id_fields = ["referred_by"]
    # The referral link is set only through the activation service, so the rules hold here too.
    readonly_fields = [
        "invite_code",
        "referred_by",
        "referred_at",
        "referrals_count",
        "date_joined",
        "last_login",
    ]
    fieldsets = [
        (None, {"fields": ["phone", "password"]}),
        (
            _("Referrals"),
            {"fields": ["invite_code", "referred_by", "referred_at", "referrals_count"]},
        ),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (_("Dates"), {"fields": ["date_joined", "last_login"]}),
    ]
    add_form = UserCreationForm
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["phone", "password1", "password2"]})]
    actions = ["activate_invite_code"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deactivate instead (the "active" box): deleting a referee would leave its
        # referrer's stored referrals_count wrong, and a referrer is protected by its referees.
        return False

    @admin.action(description=_("Activate an invite code for the selected users"))
    def activate_invite_code(self, request, queryset):
        form = ActivateInviteForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return TemplateResponse(
                request,
                "admin/users/activate_invite.html",
                {**self.admin_site.each_context(request), "form": form, "users": queryset},
            )
        for user in queryset:
            try:
                invite_code_activate(user=user, invite_code=form.cleaned_data["invite_code"])
            except ServiceError as exc:
                self.message_user(request, f"{user}: {exc.message}", messages.ERROR)
            else:
                activated = _("%(user)s: invite code activated.") % {"user": user}
                self.message_user(request, activated, messages.SUCCESS)
        return None
