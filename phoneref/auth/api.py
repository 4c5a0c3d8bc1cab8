from adrf.views import APIView as AsyncAPIView
from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from phoneref.auth.services import (
    login_code_send,
    login_code_verify,
    token_issue,
    token_revoke,
    tokens_revoke_all,
)
from phoneref.core.exceptions import problem_body
from phoneref.core.http import client_ip
from phoneref.users.api import ProfileOutputSerializer, profile_data
from phoneref.users.selectors import profile_get


class CodeRequestInputSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=32, help_text="Any common format; stored as E.164.")


class CodeRequestOutputSerializer(serializers.Serializer):
    phone = serializers.CharField(help_text="The number the code was sent to, in E.164.")
    expires_in = serializers.IntegerField(help_text="Seconds the code stays valid.")
    resend_in = serializers.IntegerField(help_text="Seconds until another code may be requested.")
    code = serializers.CharField(required=False, help_text="The code itself, in demo mode only.")


class CodeRequestApi(AsyncAPIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_request_code",
        request=CodeRequestInputSerializer,
        responses=CodeRequestOutputSerializer,
    )
    async def post(self, request: Request) -> Response:
        body = CodeRequestInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        sent = await login_code_send(
            phone=body.validated_data["phone"], client_ip=client_ip(request)
        )
        data = {"phone": sent.phone, "expires_in": sent.expires_in, "resend_in": sent.resend_in}
        if settings.DEMO_MODE:
            data["code"] = sent.code
        return Response(data)


class CodeVerifyInputSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=32)
    code = serializers.CharField(max_length=16, help_text="The digits from the message.")
    invite_code = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Optional: someone's invite code, activated in the same step.",
    )


class InviteErrorSerializer(serializers.Serializer):
    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField()


class CodeVerifyOutputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Bearer <token>`.")
    token_expires_at = serializers.DateTimeField()
    is_new_user = serializers.BooleanField()
    profile = ProfileOutputSerializer()
    invite_error = InviteErrorSerializer(
        required=False,
        help_text="Why the invite code was not activated; the login still succeeded.",
    )


class CodeVerifyApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_verify_code",
        request=CodeVerifyInputSerializer,
        responses=CodeVerifyOutputSerializer,
    )
    def post(self, request: Request) -> Response:
        body = CodeVerifyInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        login = login_code_verify(
            phone=body.validated_data["phone"],
            code=body.validated_data["code"],
            invite_code=body.validated_data.get("invite_code"),
        )
        token, expires_at = token_issue(user=login.user)
        data = {
            "token": token,
            "token_expires_at": expires_at,
            "is_new_user": login.is_new_user,
            "profile": profile_data(request, profile_get(user=login.user)),
        }
        if login.invite_error is not None:
            error = login.invite_error
            data["invite_error"] = problem_body(error.problem, detail=error.message)
        return Response(CodeVerifyOutputSerializer(data).data)


class LogoutApi(APIView):
    @extend_schema(operation_id="auth_logout", request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllApi(APIView):
    @extend_schema(operation_id="auth_logout_all", request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        tokens_revoke_all(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
