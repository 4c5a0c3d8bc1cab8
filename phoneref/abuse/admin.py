"""Staff's view of the abuse defence: paused prefixes to lift, flagged referrals to judge.

Every change goes through phoneref.abuse's services, so the rules are the same here.
"""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from phoneref.abuse.breaker import prefix_pause_lift
from phoneref.abuse.models import PrefixPause, ReferralActivation
from phoneref.abuse.referrals import referral_review
from phoneref.core.admin import ReadOnlyModelAdmin


@admin.register(PrefixPause)
class PrefixPauseAdmin(ReadOnlyModelAdmin):
    list_display = ["__str__", "paused_at", "paused_until", "active", "sends", "logins"]
    list_filter = ["paused_at"]
    search_fields = ["prefix"]
    ordering = ["-paused_at"]
    fields = ["prefix", "paused_at", "paused_until", "sends", "logins", "lifted_at", "lifted_by"]
    actions = ["lift"]

    @admin.display(boolean=True, description=_("paused now"))
    def active(self, obj: PrefixPause) -> bool:
        return obj.paused_until > timezone.now()

    def get_actions(self, request):
        # Read-only otherwise; lifting is the one change staff make here.
        actions = super().get_actions(request)
        if not request.user.has_perm("abuse.change_prefixpause"):
            actions.pop("lift", None)
        return actions

    @admin.action(description=_("Lift the pause of the selected prefixes"))
    def lift(self, request, queryset):
        for pause in queryset:
            prefix_pause_lift(pause=pause, by=request.user)
        self.message_user(request, _("Pauses lifted."), messages.SUCCESS)


@admin.register(ReferralActivation)
class FlaggedReferralAdmin(ReadOnlyModelAdmin):
    list_display = ["referee", "referrer", "flag", "review", "created_at", "reviewed_by"]
    list_filter = ["review", "flag"]
    search_fields = ["referee__phone", "referrer__phone"]
    list_select_related = ["referee", "referrer", "reviewed_by"]
    ordering = ["-created_at"]
    fields = ["referee", "referrer", "created_at", "flag", "review", "reviewed_at", "reviewed_by"]
    actions = ["confirm", "reject"]

    def get_queryset(self, request):
        # Only flagged activations: the others need nobody's attention.
        return super().get_queryset(request).exclude(flag=ReferralActivation.Flag.NONE)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm("abuse.change_referralactivation"):
            actions.pop("confirm", None)
            actions.pop("reject", None)
        return actions

    @admin.action(description=_("Confirm the selected referrals"))
    def confirm(self, request, queryset):
        self._review(request, queryset, ReferralActivation.Review.CONFIRMED)
        self.message_user(request, _("Referrals confirmed."), messages.SUCCESS)

    @admin.action(description=_("Reject the selected referrals"))
    def reject(self, request, queryset):
        self._review(request, queryset, ReferralActivation.Review.REJECTED)
        self.message_user(request, _("Referrals rejected: no longer counted."), messages.SUCCESS)

    def _review(self, request, queryset, verdict: ReferralActivation.Review) -> None:
        for activation in queryset:
            referral_review(activation=activation, verdict=verdict, by=request.user)
