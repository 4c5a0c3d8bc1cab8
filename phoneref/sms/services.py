from django.utils import timezone

from phoneref.sms.models import Delivery

_STAGE = {
    Delivery.Status.QUEUED: 0,
    Delivery.Status.SENT: 1,
    Delivery.Status.DELIVERED: 2,
    Delivery.Status.UNDELIVERED: 2,
    Delivery.Status.FAILED: 2,
}


def delivery_status_update(
    *, backend: str, provider_message_id: str, status: str, error_code: str = ""
) -> int:
    """A provider's word on a message it took; how many rows it moved on.

    Providers may report out of order, so a status only ever moves a row forward (a late
    "sent" never undoes "delivered"); the condition is part of the UPDATE.
    """
    if not provider_message_id:
        return 0
    earlier = [s for s, stage in _STAGE.items() if stage < _STAGE[Delivery.Status(status)]]
    return Delivery.objects.filter(
        backend=backend, provider_message_id=provider_message_id, status__in=earlier
    ).update(status=status, error_code=error_code[:64], updated_at=timezone.now())
