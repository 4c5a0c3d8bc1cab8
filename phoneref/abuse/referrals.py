"""Referral fraud flags: where sign-ups and activations come from, and staff's verdicts.

Addresses are kept only as keyed hashes (HMAC with SECRET_KEY) of the address and of its
network (/24 for IPv4, /64 for IPv6): enough to see that two requests came from one place,
useless for finding where that is. An activation is flagged, never refused, when referee and
referrer share a network, or when one code gets a burst of activations from one network.
Staff confirm or reject each flagged referral; a rejected one leaves the referrer's list and
count in one transaction.
"""

import ipaddress
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac

from phoneref.abuse.models import ReferralActivation, SignupNetwork
from phoneref.users.models import User

_SALT = "phoneref.abuse.referrals.network"


def network_hashes(client_ip: str) -> tuple[str, str]:
    """Keyed hashes of the address and of its /24 (IPv4) or /64 (IPv6)."""
    address = ipaddress.ip_address(client_ip)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 64
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    return _keyed_hash(str(address)), _keyed_hash(str(network))


def _keyed_hash(value: str) -> str:
    return salted_hmac(_SALT, value, algorithm="sha256").hexdigest()


def signup_network_record(*, user: User, client_ip: str, now: datetime | None = None) -> None:
    address_hash, network_hash = network_hashes(client_ip)
    SignupNetwork.objects.create(
        user=user,
        address_hash=address_hash,
        network_hash=network_hash,
        created_at=now or timezone.now(),
    )


def referral_activation_record(
    *, referee: User, referrer_id: int, client_ip: str, now: datetime
) -> ReferralActivation:
    """Record where the activation came from and flag it for review if it looks arranged.

    Runs in the activation's transaction, under the referrer's row lock the activation took,
    so activations of one code are recorded one at a time and the burst count is exact.
    """
    address_hash, network_hash = network_hashes(client_ip)
    signups = dict(
        SignupNetwork.objects.filter(user_id__in=[referee.pk, referrer_id]).values_list(
            "user_id", "network_hash"
        )
    )
    referrer_network = signups.get(referrer_id)
    flag = ReferralActivation.Flag.NONE
    if referrer_network is not None and referrer_network in (
        network_hash,
        signups.get(referee.pk),
    ):
        flag = ReferralActivation.Flag.SHARED_NETWORK
    elif _is_burst(referrer_id=referrer_id, network_hash=network_hash, now=now):
        flag = ReferralActivation.Flag.NETWORK_BURST
    return ReferralActivation.objects.create(
        referee=referee,
        referrer_id=referrer_id,
        address_hash=address_hash,
        network_hash=network_hash,
        created_at=now,
        flag=flag,
        review=ReferralActivation.Review.PENDING if flag else ReferralActivation.Review.NONE,
    )


def _is_burst(*, referrer_id: int, network_hash: str, now: datetime) -> bool:
    limit = settings.REFERRAL_BURST_ACTIVATIONS
    if limit <= 0:
        return False
    since = now - timedelta(minutes=settings.REFERRAL_BURST_WINDOW_MINUTES)
    earlier = ReferralActivation.objects.filter(
        referrer_id=referrer_id, network_hash=network_hash, created_at__gte=since
    )[: limit - 1].count()
    # This activation is the limit-th one from the network within the window, or later.
    return earlier >= limit - 1


def referral_review(
    *, activation: ReferralActivation, verdict: str, by: User, now: datetime | None = None
) -> None:
    """Staff's verdict on a flagged referral: confirmed, or rejected.

    A rejected referral leaves the referrer's list and `referrals_count`, in one transaction
    with the verdict; the referee's activation stays used (they cannot activate another code).
    Confirming a referral rejected before puts it back. Giving the same verdict twice changes
    nothing.
    """
    if verdict not in (ReferralActivation.Review.CONFIRMED, ReferralActivation.Review.REJECTED):
        raise ValueError(f"not a verdict: {verdict!r}")
    now = now or timezone.now()
    rejected = verdict == ReferralActivation.Review.REJECTED
    with transaction.atomic():
        row = ReferralActivation.objects.select_for_update().get(pk=activation.pk)
        # Referee, then referrer: the order the activation locks them in.
        changed = User.objects.filter(
            pk=row.referee_id, referred_by_id=row.referrer_id, referral_rejected=not rejected
        ).update(referral_rejected=rejected)
        if changed:
            User.objects.filter(pk=row.referrer_id).update(
                referrals_count=F("referrals_count") + (-1 if rejected else 1)
            )
        ReferralActivation.objects.filter(pk=row.pk).update(
            review=verdict, reviewed_at=now, reviewed_by=by
        )
    activation.review, activation.reviewed_at, activation.reviewed_by = verdict, now, by
