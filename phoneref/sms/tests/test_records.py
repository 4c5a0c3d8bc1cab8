"""Delivery records: read-only in the admin, removed by purge_expired after the retention."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from phoneref.sms.models import Delivery
from phoneref.users.models import User

pytestmark = pytest.mark.django_db


def delivery(**fields) -> Delivery:
    return Delivery.objects.create(
        phone="+79161234567",
        backend="smsru",
        provider_message_id="000000-10000001",
        status=Delivery.Status.QUEUED,
        **fields,
    )


def test_purge_expired_removes_deliveries_older_than_the_retention(settings):
    settings.SMS_DELIVERY_RETENTION_DAYS = 30
    old, recent = delivery(), delivery()
    Delivery.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    out = StringIO()
    call_command("purge_expired", stdout=out)
    assert list(Delivery.objects.values_list("pk", flat=True)) == [recent.pk]
    assert "1 SMS deliveries" in out.getvalue()


@pytest.fixture
def staff_client(client):
    User.objects.create_superuser("+79990000009", "a-long-pass-phrase")
    assert client.login(phone="+79990000009", password="a-long-pass-phrase")
    return client


def test_the_admin_lists_deliveries_and_lets_no_one_change_them(staff_client):
    row = delivery(error_code="")
    listing = staff_client.get("/admin/sms/delivery/")
    assert listing.status_code == 200
    assert "000000-10000001" in listing.content.decode()
    detail = staff_client.get(f"/admin/sms/delivery/{row.pk}/change/")
    assert detail.status_code == 200
    assert 'type="submit"' not in detail.content.decode().split('id="delivery_form"')[-1]
    assert staff_client.get("/admin/sms/delivery/add/").status_code == 403
    assert staff_client.post(f"/admin/sms/delivery/{row.pk}/delete/").status_code == 403
    staff_client.post(f"/admin/sms/delivery/{row.pk}/change/", {"status": "delivered"})
    row.refresh_from_db()
    assert row.status == Delivery.Status.QUEUED
