from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SendBudget(models.Model):
    """The one row of the all-sends budget: code sends per minute of the last hour.

    Locked by every send while the budget is on, so the cap is exact across processes.
    """

    # Epoch minute (as text, a JSON key) -> sends in that minute.
    minutes = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"{sum(self.minutes.values())} sends in the last hour"


class PrefixSends(models.Model):
    """Code requests to one number prefix in one minute, and how many led to a login.

    Split in shards by the number's last digit, so a crowd of requests to one prefix writes
    ten rows, not one.
    """

    prefix = models.CharField(max_length=8)
    minute = models.BigIntegerField()
    shard = models.PositiveSmallIntegerField()
    sends = models.PositiveIntegerField(default=0)
    logins = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["prefix", "minute", "shard"], name="prefixsends_one_row_per_shard"
            )
        ]

    def __str__(self) -> str:
        return f"+{self.prefix} at minute {self.minute}"


class PrefixPause(models.Model):
    """A number prefix the breaker paused: no code is sent to it until `paused_until`."""

    prefix = models.CharField(_("prefix"), max_length=8, unique=True)
    paused_at = models.DateTimeField(_("paused at"))
    paused_until = models.DateTimeField(_("paused until"))
    # What tripped the breaker: the judged window's requests and the logins they led to.
    sends = models.PositiveIntegerField(_("code requests"))
    logins = models.PositiveIntegerField(_("logins"))
    # The breaker judges only requests made after this: staff lifting a pause start it afresh.
    judge_from = models.DateTimeField(null=True, blank=True, editable=False)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lifted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("paused prefix")
        verbose_name_plural = _("paused prefixes")

    def __str__(self) -> str:
        return f"+{self.prefix}"


class SignupNetwork(models.Model):
    """Where a user signed up from, as keyed hashes of the address and its network."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    address_hash = models.CharField(max_length=64)
    network_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return str(self.user_id)


class ReferralActivation(models.Model):
    """Where an invite code was activated from, and whether staff should look at it."""

    class Flag(models.TextChoices):
        NONE = "", _("not flagged")
        SHARED_NETWORK = "shared_network", _("referee and referrer share a network")
        NETWORK_BURST = "network_burst", _("many activations of the code from one network")

    class Review(models.TextChoices):
        NONE = "", _("not needed")
        PENDING = "pending", _("to review")
        CONFIRMED = "confirmed", _("confirmed")
        REJECTED = "rejected", _("rejected")

    referee = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("referee"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    referrer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("referrer"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    address_hash = models.CharField(max_length=64, editable=False)
    network_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("activated at"))
    flag = models.CharField(_("flag"), max_length=16, choices=Flag.choices, blank=True)
    review = models.CharField(_("review"), max_length=16, choices=Review.choices, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("flagged referral")
        verbose_name_plural = _("flagged referrals")
        indexes = [
            # The burst rule: recent activations of one code from one network.
            models.Index(
                fields=["referrer", "network_hash", "created_at"], name="activation_code_network"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.referee} -> {self.referrer}"
