from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils import timezone
from knox.models import AuthToken

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
        tokens, _ = AuthToken.objects.filter(expiry__lt=now).delete()
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
