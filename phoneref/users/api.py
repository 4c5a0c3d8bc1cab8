from dataclasses import asdict

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from phoneref.users.models import User
from phoneref.users.selectors import Profile, profile_get, referral_list
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


def profile_data(request: Request, profile: Profile) -> dict:
    invite_link = request.build_absolute_uri(
        reverse("invite-landing", kwargs={"code": profile.invite_code})
    )
    return ProfileOutputSerializer({**asdict(profile), "invite_link": invite_link}).data


class ProfileApi(APIView):
    @extend_schema(operation_id="profile_get", responses=ProfileOutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(profile_data(request, profile_get(user=request.user)))


class InviteActivateInputSerializer(serializers.Serializer):
    invite_code = serializers.CharField(max_length=32, help_text="Someone else's invite code.")


class InviteActivateApi(APIView):
    @extend_schema(
        operation_id="profile_activate_invite",
        request=InviteActivateInputSerializer,
        responses=ProfileOutputSerializer,
    )
    def post(self, request: Request) -> Response:
        body = InviteActivateInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = invite_code_activate(
            user=request.user, invite_code=body.validated_data["invite_code"]
        )
        return Response(profile_data(request, profile_get(user=user)))


class ReferralOutputSerializer(serializers.Serializer):
    phone = serializers.CharField()
    activated_at = serializers.DateTimeField(source="referred_at")


class ReferralPageOutputSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next (older) page, or null.")
    previous = serializers.URLField(allow_null=True, help_text="The previous page, or null.")
    count = serializers.IntegerField(help_text="All referrals of this user.")
    results = ReferralOutputSerializer(many=True)


class ReferralListQuerySerializer(serializers.Serializer):
    cursor = serializers.CharField(required=False, max_length=512)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=100, default=20)


class ReferralPagination(CursorPagination):
    """Keyset pages: the millionth referral costs what the first does."""

    ordering = ("-referred_at", "-id")
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
            # Its position goes into a query as a time: a forged one must be refused here, not
            # fail in the database layer as a server error.
            if cursor is not None and cursor.position is not None:
                User._meta.get_field("referred_at").to_python(cursor.position)
        except (NotFound, DjangoValidationError):
            raise ValidationError({"cursor": [self.invalid_cursor_message]}) from None
        return cursor


class ReferralListApi(APIView):
    @extend_schema(
        operation_id="profile_referrals",
        parameters=[ReferralListQuerySerializer],
        responses=ReferralPageOutputSerializer,
    )
    def get(self, request: Request) -> Response:
        # A plain dict, so that `?page_size=` is refused as the schema says, not taken for absent.
        query = ReferralListQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        paginator = ReferralPagination()
        page = paginator.paginate_queryset(referral_list(user=request.user), request, view=self)
        body = {
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "count": request.user.referrals_count,
            "results": page,
        }
        return Response(ReferralPageOutputSerializer(body).data)
