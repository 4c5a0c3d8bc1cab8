"""Use cases that change users: the first login's account, activating an invite code."""

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from phoneref.abuse.services import activation_record, signup_record
from phoneref.core import metrics
from phoneref.core.errors import ServiceError, problems
from phoneref.core.rate_limits import Window, log_append, seconds_until_allowed
from phoneref.users.invite_codes import invite_code_normalize
from phoneref.users.models import User

# Two users activating each other's codes at the same instant deadlock on purpose (see
# `_referrer_tree_root_locked`); the database aborts one, which then sees the cycle.
DEADLOCK_RETRIES = 3
DEADLOCK_SQLSTATE = "40P01"


def user_get_or_create(*, phone: str, client_ip: str | None = None) -> tuple[User, bool]:
    """The user for a verified phone, created on first login. Safe when two logins race.

    A new user's network (from `client_ip`) is kept for the referral fraud flags.
    """
    user = User.objects.filter(phone=phone).first()
    if user is not None:
        return user, False
    try:
        user = User.objects.create_user(phone)
    except IntegrityError:
        # Only a login that created the same phone first is a race we lost.
        user = User.objects.filter(phone=phone).first()
        if user is None:
            raise
        return user, False
    signup_record(user=user, client_ip=client_ip)
    return user, True


@metrics.counted(metrics.ACTIVATION_REFUSALS, success=metrics.ACTIVATIONS)
def invite_code_activate(
    *,
    user: User,
    invite_code: str,
    client_ip: str | None = None,
    now: datetime | None = None,
) -> User:
    """Record that `user` was invited by the owner of `invite_code`; only ever once.

    Raises ServiceError with invalid_invite_code, invite_code_not_found, invite_code_is_own,
    invite_code_already_activated, referral_cycle or too_many_requests. The activation's
    network (from `client_ip`; staff acting in the admin give none) is recorded and may flag
    the referral for review.
    """
    now = now or timezone.now()
    for attempt in range(DEADLOCK_RETRIES + 1):
        try:
            return _invite_code_activate(
                user=user, raw_code=invite_code, client_ip=client_ip, now=now
            )
        except OperationalError as exc:
            deadlocked = getattr(exc.__cause__, "sqlstate", None) == DEADLOCK_SQLSTATE
            if not deadlocked or attempt == DEADLOCK_RETRIES:
                raise
    raise AssertionError("unreachable")


def _failure_windows() -> list[Window]:
    return [Window(settings.INVITE_FAILURES_PER_HOUR, 3600)]


def _invite_code_activate(
    *, user: User, raw_code: str, client_ip: str | None, now: datetime
) -> User:
    error: ServiceError | None = None
    with transaction.atomic():
        # The user's own row lock makes "only once" and the failure count exact; NO KEY
        # UPDATE still lets others reference this row (activate this user's code) meanwhile.
        me = User.objects.select_for_update(no_key=True).get(pk=user.pk)
        wait = seconds_until_allowed(
            me.invite_failure_log, now=now.timestamp(), windows=_failure_windows()
        )
        if wait is not None:
            raise ServiceError(problems.TOO_MANY_REQUESTS, retry_after=wait)
        try:
            # A savepoint, so a refused activation leaves no half-done counting behind.
            with transaction.atomic():
                referrer_id = _activate_locked(me=me, raw_code=raw_code, now=now)
                activation_record(referee=me, referrer_id=referrer_id, client_ip=client_ip, now=now)
        except ServiceError as exc:
            me.invite_failure_log = log_append(
                me.invite_failure_log, now=now.timestamp(), windows=_failure_windows()
            )
            me.save(update_fields=["invite_failure_log"])
            error = exc
    if error is not None:
        # Raised after the block so the failure just recorded is committed.
        raise error
    user.referred_by_id, user.referred_at = me.referred_by_id, me.referred_at
    return user


def invite_code_refusal(*, user: User, invite_code: str) -> ServiceError | None:
    """Why `user` may not activate `invite_code`, or None when nothing stops it now.

    The one statement of the activation rules, in the order they are answered:
    invalid_invite_code, invite_code_already_activated, invite_code_is_own,
    invite_code_not_found, referral_cycle. It only reads, takes no lock and counts no failed
    attempt; `invite_code_activate` applies the same rules (`_referrer_id_allowed`) under the
    user's row lock, and the database guards the races.
    """
    try:
        _referrer_id_allowed(user=user, invite_code=invite_code)
    except ServiceError as refusal:
        return refusal
    return None


def _referrer_id_allowed(*, user: User, invite_code: str) -> int:
    """The id of the code's owner if `user` may activate it; raises the refusal otherwise."""
    code = invite_code_normalize(invite_code)
    if user.referred_by_id is not None:
        raise ServiceError(problems.INVITE_CODE_ALREADY_ACTIVATED, field="invite_code")
    if code == user.invite_code:
        raise ServiceError(problems.INVITE_CODE_IS_OWN, field="invite_code")
    referrer_id = User.objects.filter(invite_code=code).values_list("pk", flat=True).first()
    if referrer_id is None:
        raise ServiceError(problems.INVITE_CODE_NOT_FOUND, field="invite_code")
    if _referrer_tree_root(referrer_id) == user.pk:
        raise _cycle_refusal()
    return referrer_id


def _cycle_refusal() -> ServiceError:
    return ServiceError(problems.REFERRAL_CYCLE, field="invite_code")


def _activate_locked(*, me: User, raw_code: str, now: datetime) -> int:
    """Link me to the code's owner, whose id this returns."""
    # `me` is locked, so the rules about this user's own row hold until the write below.
    referrer_id = _referrer_id_allowed(user=me, invite_code=raw_code)
    # Counting first takes the referrer's row lock, so activations of one code queue here
    # instead of deadlocking on the tree root below.
    User.objects.filter(pk=referrer_id).update(referrals_count=F("referrals_count") + 1)
    # The loop may have closed since the check above, through activations committed meanwhile;
    # with the root held still the answer is final.
    if _referrer_tree_root_locked(referrer_id) == me.pk:
        raise _cycle_refusal()
    User.objects.filter(pk=me.pk, referred_by__isnull=True).update(
        referred_by_id=referrer_id, referred_at=now
    )
    me.referred_by_id, me.referred_at = referrer_id, now
    return referrer_id


_TREE_ROOT_SQL = """
WITH RECURSIVE chain (id, referred_by_id) AS (
    SELECT id, referred_by_id FROM {table} WHERE id = %s
    UNION
    SELECT u.id, u.referred_by_id FROM {table} u JOIN chain c ON u.id = c.referred_by_id
)
SELECT id FROM chain WHERE referred_by_id IS NULL
"""
_ROOT_STILL_ROOT_SQL = "SELECT 1 FROM {table} WHERE id = %s AND referred_by_id IS NULL FOR SHARE"


def _referrer_tree_root(referrer_id: int) -> int:
    """The id of the user at the top of the referrer's invite chain, as read now."""
    table = connection.ops.quote_name(User._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_TREE_ROOT_SQL.format(table=table), [referrer_id])
        (root_id,) = cursor.fetchone()
    return root_id


def _referrer_tree_root_locked(referrer_id: int) -> int:
    """The id of the user at the top of the referrer's invite chain, held still.

    Only users who never activated a code can activate one, and those are exactly the tree
    roots, so a new link me -> referrer closes a cycle iff the referrer's root is me. The
    chain below a root never changes (each link is set once); holding the root FOR SHARE
    stops it gaining a parent until we commit. Two activations that would together close a
    cycle each hold their own row and wait for the other's: PostgreSQL breaks that deadlock
    and the retry sees the cycle.
    """
    table = connection.ops.quote_name(User._meta.db_table)
    while True:
        root_id = _referrer_tree_root(referrer_id)
        with connection.cursor() as cursor:
            cursor.execute(_ROOT_STILL_ROOT_SQL.format(table=table), [root_id])
            if cursor.fetchone() is not None:
                return root_id
