"""The data the benchmark needs, made in SQL where it is large.

Runs inside Django (bench.run sets it up) against the benchmark's own throwaway database.
"""

from dataclasses import dataclass

from django.db import connection, transaction

from phoneref.auth.services import token_issue
from phoneref.users.invite_codes import ALPHABET, LENGTH
from phoneref.users.models import User

BIG_REFERRALS = 1_000_000
SMALL_REFERRALS = 10
ACTIVATORS = 200

# Seeded users are numbered; number n gets phone +7900nnnnnnn and the invite code that spells
# n in base 31 with the invite alphabet, so both are unique and pass the table's checks.
_SEED_USERS_SQL = """
INSERT INTO users_user (
    password, is_superuser, phone, invite_code, referred_by_id, referred_at, referrals_count,
    invite_failure_log, session_generation, is_staff, is_active, date_joined
)
SELECT
    '!', false, '+7900' || lpad(n::text, 7, '0'),
    {code},
    %(referrer)s,
    CASE WHEN %(referrer)s::bigint IS NULL THEN NULL ELSE now() - n * interval '1 ms' END,
    0, '[]'::jsonb, 0, false, true, now()
FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS n
"""


def _code_expression() -> str:
    digits = [
        f"substr('{ALPHABET}', mod(n / {len(ALPHABET) ** power}, {len(ALPHABET)})::int + 1, 1)"
        for power in reversed(range(LENGTH))
    ]
    return " || ".join(digits)


@dataclass
class Seeded:
    big_token: str
    small_token: str
    hub_code: str
    hub_id: int
    activator_tokens: list[str]


def _seed_users(*, first: int, count: int, referrer: int | None) -> None:
    sql = _SEED_USERS_SQL.format(code=_code_expression())
    with connection.cursor() as cursor:
        cursor.execute(sql, {"referrer": referrer, "first": first, "last": first + count - 1})
        if referrer is not None:
            cursor.execute(
                "UPDATE users_user SET referrals_count = referrals_count + %s WHERE id = %s",
                [count, referrer],
            )


def seed() -> Seeded:
    with transaction.atomic():
        big = User.objects.create_user("+79800000001")
        small = User.objects.create_user("+79800000002")
        hub = User.objects.create_user("+79800000003")
        _seed_users(first=1, count=BIG_REFERRALS, referrer=big.pk)
        _seed_users(first=BIG_REFERRALS + 1, count=SMALL_REFERRALS, referrer=small.pk)
        first_activator = BIG_REFERRALS + SMALL_REFERRALS + 1
        _seed_users(first=first_activator, count=ACTIVATORS, referrer=None)
        activators = User.objects.filter(
            phone__gte=f"+7900{first_activator:07d}",
            phone__lte=f"+7900{first_activator + ACTIVATORS - 1:07d}",
        )
        activator_tokens = [token_issue(user=user)[0] for user in activators]
        seeded = Seeded(
            big_token=token_issue(user=big)[0],
            small_token=token_issue(user=small)[0],
            hub_code=hub.invite_code,
            hub_id=hub.pk,
            activator_tokens=activator_tokens,
        )
    with connection.cursor() as cursor:
        # What autovacuum would do soon after: statistics, and the visibility map that lets
        # the referrals index answer without visiting the table.
        cursor.execute("VACUUM ANALYZE users_user")
    return seeded


def referral_counts(user_id: int) -> tuple[int, int]:
    """The denormalised count and the real number of rows, which must agree."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT referrals_count, (SELECT count(*) FROM users_user WHERE referred_by_id = %s)"
            " FROM users_user WHERE id = %s",
            [user_id, user_id],
        )
        return cursor.fetchone()
