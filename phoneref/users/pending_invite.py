"""The invite code a visitor brought, kept in the session until the profile activates it.

Sign-up (phoneref.auth) writes these and the profile reads them; they live here so that the
dependency runs from auth to users only.
"""

from django.utils.translation import gettext_lazy as _

# Set by the referral landing page, offered at sign-up and on the profile.
SESSION_INVITE_CODE = "invite_code"
# Why the invite code given at sign-up was not activated, shown once on the profile form.
SESSION_INVITE_ERROR = "invite_error"

INVITE_ACTIVATED_MESSAGE = _("Invite code %(code)s activated.")
