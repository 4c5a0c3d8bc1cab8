from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from knox.models import AuthToken
from knox.signals import token_expired

from phoneref.abuse.breaker import prefix_counts_purge
from phoneref.auth.models import ClientAddress, PhoneLogin
from phoneref.sms.models import Delivery


class Command(BaseCommand):
    help = (
        "Delete expired tokens, login state older than every limit window and SMS delivery "
        "records older than SMS_DELIVERY_RETENTION_DAYS (run daily)."
    )

    def handle(self, *args, **options) -> None:
        now = timezone.now()
        tokens = self.tokens_purge(now)
        # A number untouched for two days has no live code and nothing left in any window.
        logins, _ = PhoneLogin.objects.filter(
            Q(code_sent_at__lt=now - timedelta(days=2)) | Q(code_sent_at__isnull=True)
        ).delete()
        addresses, _ = ClientAddress.objects.filter(
            updated_at__lt=now - timedelta(hours=1)
        ).delete()
        prefix_counts = prefix_counts_purge(now=now)
        retention = timedelta(days=settings.SMS_DELIVERY_RETENTION_DAYS)
        deliveries, _ = Delivery.objects.filter(created_at__lt=now - retention).delete()
        self.stdout.write(
            f"deleted {tokens} tokens, {logins} phone logins, {addresses} addresses, "
            f"{prefix_counts} prefix counts, {deliveries} SMS deliveries"
        )

    def tokens_purge(self, now) -> int:
        """Delete the expired tokens and tell knox's `token_expired` receivers of each, as knox
        does when it sweeps a user's other expired tokens: the authentication leaves that
        sweep to this command."""
        expired = AuthToken.objects.filter(expiry__lt=now)
        with transaction.atomic():
            usernames = list(
                expired.select_for_update(of=("self",)).values_list(
                    f"user__{get_user_model().USERNAME_FIELD}", flat=True
                )
            )
            expired.delete()
        for username in usernames:
            token_expired.send(sender=self.__class__, username=username, source="other_token")
        return len(usernames)
