from django.db import models
from django.utils.translation import gettext_lazy as _

from phoneref.core.phones import E164_MAX_LENGTH


class Delivery(models.Model):
    """One backend's attempt at one message: who it was for and what became of it.

    Never the code or the text. A send that failed over to a second backend leaves two rows.
    """

    class Status(models.TextChoices):
        # The provider took the message; its status callback moves it on.
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
        DELIVERED = "delivered", _("delivered")
        UNDELIVERED = "undelivered", _("undelivered")
        # The provider refused it or could not be reached (see the error code).
        FAILED = "failed", _("failed")

    phone = models.CharField(_("phone number"), max_length=E164_MAX_LENGTH)
    backend = models.CharField(_("backend"), max_length=100)
    provider_message_id = models.CharField(_("provider message id"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)
    error_code = models.CharField(_("error code"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("SMS delivery")
        verbose_name_plural = _("SMS deliveries")
        indexes = [
            # Status callbacks find their row by the provider's id.
            models.Index(
                fields=["backend", "provider_message_id"],
                name="sms_delivery_provider_id",
                condition=~models.Q(provider_message_id=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.backend} {self.provider_message_id or self.pk}"


class BackendHealth(models.Model):
    """A provider backend's circuit breaker, shared by every server process.

    `failures` counts failed sends in a row; at SMS_BREAKER_FAILURES the backend is skipped
    until `open_until`, after which the next send tries it again.
    """

    backend = models.CharField(max_length=100, unique=True)
    failures = models.PositiveIntegerField(default=0)
    open_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.backend
