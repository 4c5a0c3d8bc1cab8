import logging
from collections.abc import Iterator
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from phoneref.core.phones import E164_MAX_LENGTH, E164_PATTERN, phone_to_e164
from phoneref.users.invite_codes import ALPHABET, LENGTH, invite_code_generate

logger = logging.getLogger(__name__)

# 31**6 ≈ 887 million codes: a collision is rare, ten in a row means something is broken.
INVITE_CODE_ATTEMPTS = 10

# The order of "who used my code", newest first, with the id to break ties: the covering index
# below is built in it and every read and page of referrals follows it.
REFERRAL_ORDER = ("-referred_at", "-id")


class UserManager(BaseUserManager["User"]):
    """Where every user is made: the login's first verified code, the admin, createsuperuser."""

    use_in_migrations = True

    def create_user(self, phone: str, password: str | None = None, **fields) -> "User":
        """A new user with a fresh unique invite code.

        The phone may be written as a person types it (createsuperuser passes it on as
        typed); it is stored as E.164, the way Django's own manager normalises an email.
        Normal users log in with one-time codes only: `password=None` makes it unusable.
        """
        phone = phone_to_e164(phone)
        for _attempt in range(INVITE_CODE_ATTEMPTS):
            user = self.model(phone=phone, invite_code=invite_code_generate(), **fields)
            user.set_password(password)
            try:
                with transaction.atomic(using=self._db):
                    user.save(force_insert=True, using=self._db)
            except IntegrityError:
                if not self.filter(invite_code=user.invite_code).exists():
                    raise
                logger.info("invite code collision, generating another")
                continue
            return user
        raise RuntimeError("could not generate a unique invite code")

    def create_superuser(self, phone: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(phone, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    phone = models.CharField(_("phone number"), max_length=E164_MAX_LENGTH, unique=True)
    invite_code = models.CharField(_("invite code"), max_length=LENGTH, unique=True)
    referred_by = models.ForeignKey(
        "self",
        verbose_name=_("invited by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    referred_at = models.DateTimeField(_("invite code activated at"), null=True, blank=True)
    # Set when staff reject the referral as fraud: the referrer no longer lists or counts this
    # user, while the user's one activation stays used.
    referral_rejected = models.BooleanField(
        _("referral rejected"), default=False, db_default=False, editable=False
    )
    # Kept by the activation service in the same transaction, so the profile never counts rows.
    referrals_count = models.PositiveIntegerField(_("referrals"), default=0, editable=False)
    # Times (epoch seconds) of recent failed activations, for the per-user hourly limit.
    invite_failure_log = models.JSONField(default=list, blank=True, editable=False)
    # Raised by "log out everywhere": web sessions started before then no longer match the
    # user's session hash, so Django ends them.
    session_generation = models.PositiveIntegerField(default=0, editable=False)
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=~Q(referred_by=F("id")), name="user_not_referred_by_self"
            ),
            models.CheckConstraint(
                condition=Q(referred_by__isnull=True, referred_at__isnull=True)
                | Q(referred_by__isnull=False, referred_at__isnull=False),
                name="user_referred_at_with_referrer",
            ),
            models.CheckConstraint(
                condition=Q(invite_code__regex=f"^[{ALPHABET}]{{{LENGTH}}}$"),
                name="user_invite_code_format",
            ),
            models.CheckConstraint(condition=Q(phone__regex=E164_PATTERN), name="user_phone_e164"),
        ]
        indexes = [
            # "Who used my code", newest first, answered from the index alone; rejected
            # referrals are not in it.
            models.Index(
                fields=["referred_by", *REFERRAL_ORDER],
                include=["phone"],
                condition=Q(referral_rejected=False),
                name="user_referrals_newest",
            ),
        ]

    def __str__(self) -> str:
        return self.phone

    def get_session_auth_hash(self) -> str:
        return self._session_auth_hash(secret=None)

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_auth_hash(secret=secret)

    def _session_auth_hash(self, *, secret: str | bytes | None) -> str:
        # Django's rule (the password, so a new password ends other sessions) plus the
        # generation.
        return salted_hmac(
            "phoneref.users.User.session_auth_hash",
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()
