from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from phoneref.core.phones import E164_MAX_LENGTH


class PhoneLogin(models.Model):
    """The login state of one phone number: its one live code and its recent history.

    One row per number, locked while a code is sent or checked, so the limits hold across
    every worker process. The code itself is never stored, only its HMAC.
    """

    phone = models.CharField(_("phone number"), max_length=E164_MAX_LENGTH, unique=True)
    code_digest = models.CharField(max_length=64, blank=True, editable=False)
    code_sent_at = models.DateTimeField(_("code sent at"), null=True, blank=True)
    code_expires_at = models.DateTimeField(_("code expires at"), null=True, blank=True)
    code_failed_attempts = models.PositiveSmallIntegerField(_("wrong tries"), default=0)
    code_used_at = models.DateTimeField(_("code used at"), null=True, blank=True)
    # Epoch seconds of recent sends, trimmed to the longest window.
    send_log = models.JSONField(default=list, blank=True, editable=False)
    # Epoch seconds of the last day's failed checks, by the client network they came from.
    failures_by_network = models.JSONField(default=dict, blank=True, editable=False)
    # The code the last send replaced (digest, times, tries), so a send whose SMS never went
    # out can give it back (phoneref.auth.services.login_code_request_undo).
    replaced_code = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("phone login")
        verbose_name_plural = _("phone logins")
        constraints = [
            models.CheckConstraint(
                condition=Q(code_digest="") | Q(code_expires_at__isnull=False),
                name="phonelogin_live_code_expires",
            ),
        ]

    def __str__(self) -> str:
        return self.phone


class ClientAddress(models.Model):
    """Recent code requests and failed code checks from one client network, for the
    per-client hourly limits."""

    # phoneref.core.http.client_network: an IPv4 address, or an IPv6 network such as
    # 2001:db8:1:2::/64.
    network = models.CharField(max_length=50, unique=True)
    send_log = models.JSONField(default=list, blank=True)
    failure_log = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.network


class StaffLoginThrottle(models.Model):
    """Recent failed admin password logins of one key: an account from one client network, or
    one network for every account. Locked while a login is checked, so the limits hold across
    every worker process."""

    key = models.CharField(max_length=100, unique=True)
    failure_log = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.key
