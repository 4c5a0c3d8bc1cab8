from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from phoneref.api.schema import problem_responses
from phoneref.core.errors import problems
from phoneref.core.http import client_ip
from phoneref.users.invite_codes import invite_link
from phoneref.users.requests import AuthenticatedRequest
from phoneref.users.selectors import (
    REFERRAL_PAGE_SIZE,
    InvalidReferralCursor,
    Profile,
    ReferralCursor,
    profile_get,
    referral_cursor_decode,
    referral_page,
)
from phoneref.users.services import invite_code_activate


class ProfileOutputSerializer(serializers.Serializer):
    phone = serializers.CharField(help_text="E.164 phone number.")
    invite_code = serializers.CharField(help_text="This user's own invite code.")
    invite_link = serializers.URLField(help_text="A sign-up link that carries the invite code.")
    activated_invite_code = serializers.CharField(
        allow_null=True, help_text="The invite code this user activated, or null."
    )
    referrals = serializers.ListField(
        child=serializers.CharField(),
        help_text="The most recent 100 users who activated this code (phones), newest first.",
    )
    referrals_count = serializers.IntegerField(help_text="How many users activated this code.")
    date_joined = serializers.DateTimeField()


PROFILE_EXAMPLE = {
    "phone": "+79161234567",
    "invite_code": "K7M2QX",
    "invite_link": "https://phoneref.example.com/i/K7M2QX/",
    "activated_invite_code": "Q4W8ZN",
    "referrals": ["+79035550102", "+79265550101"],
    "referrals_count": 2,
    "date_joined": "2026-11-27T10:00:00.000000Z",
}


# Built once and shared: DRF deep-copies a serializer's declared fields for every instance it
# makes, which was the larger part of writing a profile (docs/benchmarks.md). Its
# to_representation keeps no state between calls.
_PROFILE_OUTPUT = ProfileOutputSerializer()


def profile_representation(request: HttpRequest, profile: Profile) -> dict[str, Any]:
    """`profile` as ProfileOutputSerializer writes it, its invite link on the request's host."""
    link = invite_link(request, profile.invite_code)
    return _PROFILE_OUTPUT.to_representation({**vars(profile), "invite_link": link})


class ProfileApi(APIView):
    @extend_schema(
        operation_id="profile_get",
        summary="My profile",
        description=(
            "The user's phone, own invite code and link to share, the invite code they "
            "activated (or null), and who activated theirs: the 100 most recent phones, newest "
            "first, and the total. `GET /api/v1/profile/referrals/` pages through all of them."
        ),
        responses=OpenApiResponse(ProfileOutputSerializer, "The profile."),
        examples=[OpenApiExample("Profile", value=PROFILE_EXAMPLE)],
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        profile = profile_get(user=request.user)
        return Response(profile_representation(request, profile))


class InviteActivateInputSerializer(serializers.Serializer):
    invite_code = serializers.CharField(help_text="Someone else's invite code.")


class InviteActivateApi(APIView):
    @extend_schema(
        operation_id="profile_activate_invite",
        summary="Activate someone's invite code",
        description=(
            "Records that this user was invited by the owner of the code. Case, spaces and "
            "dashes do not matter (`k7m-2qx` is `K7M2QX`). It works once per user, never with "
            "the user's own code, and never when it would close a loop (the owner of the code "
            "was invited, directly or through others, by this user). Each refusal has its own "
            "code; after 10 refused attempts in an hour (by default) further attempts get "
            "`429 too_many_requests` until the hour passes."
        ),
        request=InviteActivateInputSerializer,
        responses={
            200: OpenApiResponse(ProfileOutputSerializer, "Activated: the updated profile."),
            **problem_responses(
                problems.INVALID_INVITE_CODE,
                problems.INVITE_CODE_NOT_FOUND,
                problems.INVITE_CODE_IS_OWN,
                problems.INVITE_CODE_ALREADY_ACTIVATED,
                problems.REFERRAL_CYCLE,
                problems.TOO_MANY_REQUESTS,
            ),
        },
        examples=[
            OpenApiExample("Invite code", value={"invite_code": "Q4W8ZN"}, request_only=True),
            OpenApiExample("Profile", value=PROFILE_EXAMPLE, response_only=True),
        ],
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        body = InviteActivateInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = invite_code_activate(
            user=request.user,
            invite_code=body.validated_data["invite_code"],
            client_ip=client_ip(request),
        )
        profile = profile_get(user=user)
        return Response(profile_representation(request, profile))


class ReferralOutputSerializer(serializers.Serializer):
    phone = serializers.CharField(help_text="E.164 phone number of the invited user.")
    activated_at = serializers.DateTimeField(
        source="referred_at", help_text="When they activated this user's invite code."
    )


REFERRALS_MAX_PAGE_SIZE = 100
INVALID_CURSOR_MESSAGE = _("Not a valid cursor: follow the next or previous link of a page.")


class ReferralPageOutputSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next (older) page, or null.")
    previous = serializers.URLField(
        allow_null=True, help_text="The previous (newer) page, or null on the newest."
    )
    count = serializers.IntegerField(help_text="All referrals of this user.")
    results = ReferralOutputSerializer(many=True)


class ReferralListQuerySerializer(serializers.Serializer):
    cursor = serializers.CharField(
        required=False,
        max_length=512,
        help_text="Opaque: take it from the `next` or `previous` link of a page.",
    )
    page_size = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=REFERRALS_MAX_PAGE_SIZE,
        default=REFERRAL_PAGE_SIZE,
        help_text="Referrals per page.",
    )

    def validate_cursor(self, value: str) -> ReferralCursor:
        try:
            return referral_cursor_decode(value)
        except InvalidReferralCursor:
            raise ValidationError(INVALID_CURSOR_MESSAGE) from None


class ReferralListApi(APIView):
    @extend_schema(
        operation_id="profile_referrals",
        summary="Everyone who used my invite code",
        description=(
            "All users who activated this user's invite code, newest first, a page at a time. "
            "Follow `next` for older ones and `previous` for newer ones; the pages stay "
            "consistent while new referrals arrive."
        ),
        parameters=[ReferralListQuerySerializer],
        responses={
            200: OpenApiResponse(ReferralPageOutputSerializer, "A page of referrals."),
            **problem_responses(problems.INVALID_INPUT),
        },
        examples=[
            OpenApiExample(
                "First page",
                value={
                    "next": "https://phoneref.example.com/api/v1/profile/referrals/"
                    "?cursor=bzE3OTU3NzM2NjAwMDAwMDAuNDI&page_size=2",
                    "previous": None,
                    "count": 3,
                    "results": [
                        {"phone": "+79035550102", "activated_at": "2026-11-27T10:05:00.000000Z"},
                        {"phone": "+79265550101", "activated_at": "2026-11-27T10:01:00.000000Z"},
                    ],
                },
            )
        ],
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        # A plain dict, so that `?page_size=` is refused as the schema says, not taken for absent.
        query = ReferralListQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        page = referral_page(
            user=request.user,
            size=query.validated_data["page_size"],
            cursor=query.validated_data.get("cursor"),
        )
        body = {
            "next": _page_link(request, page.older_cursor),
            "previous": _page_link(request, page.newer_cursor),
            "count": request.user.referrals_count,
            "results": page.referrals,
        }
        return Response(ReferralPageOutputSerializer(body).data)


def _page_link(request: Request, cursor: str | None) -> str | None:
    """This request's URL with `cursor` in place of its own, page size and all; None for none."""
    if cursor is None:
        return None
    return replace_query_param(request.build_absolute_uri(), "cursor", cursor)
