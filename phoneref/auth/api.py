from functools import partial

from django.conf import settings
from django.utils import translation
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from phoneref.api.exceptions import service_error_problem
from phoneref.api.schema import ProblemSerializer, problem_responses
from phoneref.auth.services import (
    login_code_deliver,
    login_code_request,
    login_code_verify,
    token_issue,
    token_revoke,
    tokens_revoke_all,
)
from phoneref.core.errors import problems
from phoneref.core.http import client_ip, request_host
from phoneref.core.problem_details import problem_body
from phoneref.server.deferral import defer_until_released
from phoneref.users.api import PROFILE_EXAMPLE, ProfileOutputSerializer, profile_representation
from phoneref.users.requests import AuthenticatedRequest
from phoneref.users.selectors import profile_get


class CodeRequestInputSerializer(serializers.Serializer):
    phone = serializers.CharField(help_text="Any common format; stored as E.164.")
    captcha_token = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=(
            "The bot check's token (Turnstile or hCaptcha widget), required when the server "
            "has one configured; ignored otherwise."
        ),
    )


class CodeRequestOutputSerializer(serializers.Serializer):
    phone = serializers.CharField(help_text="The number the code was sent to, in E.164.")
    expires_in = serializers.IntegerField(help_text="Seconds the code stays valid.")
    resend_in = serializers.IntegerField(help_text="Seconds until another code may be requested.")
    code = serializers.CharField(required=False, help_text="The code itself, in demo mode only.")


class CodeRequestApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_request_code",
        summary="Send a login code",
        description=(
            "Makes a one-time code for the phone number and sends it by SMS, after a simulated "
            "gateway delay (1-2 s by default). A new code replaces the previous one. The answer "
            "is the same whether or not the number has an account; no account is created here."
            "\n\nLimits, with their defaults: per phone one code per 60 s, 5 per hour and 10 per "
            "24 h; per client IP 20 per hour; all sends together `OTP_SENDS_PER_HOUR_TOTAL` per "
            "hour when set. Over a limit the answer is `429 too_many_requests` with "
            "`Retry-After`; so is a request to a number prefix paused by the pumping breaker. "
            "In demo mode the code is also in the response.\n\n"
            "Codes go only to mobile numbers (`400 phone_not_mobile`) of the allowed countries "
            "(`403 country_not_allowed`). When the server has a bot check configured, "
            "`captcha_token` is required (`400 captcha_required`) and verified with the "
            "provider (`400 captcha_failed`).\n\n"
            "The message is in the request's language and ends with the WebOTP "
            "line `@<host> #<code>`, so browsers and phones can fill the code in. When no SMS "
            "provider takes it, the answer is `503 sms_unavailable` with `Retry-After`, and the "
            "request counts against no limit: a code sent earlier still works."
        ),
        request=CodeRequestInputSerializer,
        responses={
            200: OpenApiResponse(CodeRequestOutputSerializer, "The code is sent."),
            **problem_responses(
                problems.INVALID_PHONE,
                problems.PHONE_NOT_MOBILE,
                problems.CAPTCHA_REQUIRED,
                problems.CAPTCHA_FAILED,
                problems.COUNTRY_NOT_ALLOWED,
                problems.TOO_MANY_REQUESTS,
                problems.SMS_UNAVAILABLE,
            ),
        },
        examples=[
            OpenApiExample(
                "Number as typed", value={"phone": "8 (916) 123-45-67"}, request_only=True
            ),
            OpenApiExample(
                "Code sent (demo mode)",
                value={"phone": "+79161234567", "expires_in": 300, "resend_in": 60, "code": "4821"},
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        body = CodeRequestInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        # The bot check, when on, is a sync call in this thread, bounded by
        # CAPTCHA_TIMEOUT_SECONDS: it must pass before the code is made.
        sent = login_code_request(
            phone=body.validated_data["phone"],
            client_ip=client_ip(request),
            captcha_token=body.validated_data.get("captcha_token"),
        )
        data = {"phone": sent.phone, "expires_in": sent.expires_in, "resend_in": sent.resend_in}
        if settings.DEMO_MODE:
            data["code"] = sent.code
        # The answer waits for the gateway, but as an await on the server's event loop: this
        # thread and its database connection are free for the 1-2 s.
        deliver = partial(
            login_code_deliver,
            sent,
            language=translation.get_language(),
            host=request_host(request),
        )
        defer_until_released(request, deliver, if_refused=service_error_problem)
        return Response(data)


class CodeVerifyInputSerializer(serializers.Serializer):
    phone = serializers.CharField()
    code = serializers.CharField(help_text="The digits from the message.")
    # No length limits here: the services own them, and a bad invite code must not block the
    # login it is reported beside.
    invite_code = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="Optional: someone's invite code, activated in the same step.",
    )


class CodeVerifyOutputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Bearer <token>`.")
    token_expires_at = serializers.DateTimeField()
    is_new_user = serializers.BooleanField()
    profile = ProfileOutputSerializer()
    invite_error = ProblemSerializer(
        required=False,
        help_text="Why the invite code was not activated; the login still succeeded.",
    )


class CodeVerifyApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_verify_code",
        summary="Log in with the code",
        description=(
            "Checks the code sent to the phone and answers with a bearer token and the profile. "
            "The first login of a number creates its user, with its own invite code "
            "(`is_new_user: true`).\n\n"
            "A code works once and, by default, for 300 s. A wrong code, an expired or used one "
            "and none at all all answer `400 invalid_code`, with `attempts_left`: the wrong "
            "codes this client may still send for this number today. After 5 wrong tries a "
            "code stops working (request a new one). Wrong codes count against the client's "
            "network: 10 per number per 24 h and 30 over all numbers per hour, then "
            "`429 too_many_attempts` with `Retry-After`.\n\n"
            "`invite_code` (optional) is activated in the same step, under the same rules as "
            "`POST /api/v1/profile/activate-invite/`. If it cannot be activated, the login still "
            "succeeds and `invite_error` says why.\n\n"
            "A number of a country that may not receive codes gets `403 country_not_allowed` "
            "here too."
        ),
        request=CodeVerifyInputSerializer,
        responses={
            200: OpenApiResponse(CodeVerifyOutputSerializer, "Logged in."),
            **problem_responses(
                problems.INVALID_PHONE,
                problems.COUNTRY_NOT_ALLOWED,
                problems.INVALID_CODE,
                problems.TOO_MANY_ATTEMPTS,
                problems.ACCOUNT_DISABLED,
            ),
        },
        examples=[
            OpenApiExample(
                "Code only", value={"phone": "+79161234567", "code": "4821"}, request_only=True
            ),
            OpenApiExample(
                "Code and someone's invite code",
                value={"phone": "+79161234567", "code": "4821", "invite_code": "k7m-2qx"},
                request_only=True,
            ),
            OpenApiExample(
                "First login",
                value={
                    "token": "3f1c9a5e0b7d4c2a8e6f1b3d5c7a9e0f2b4d6c8a0e1f3b5d7c9a2e4f6b8d0c1e",
                    "token_expires_at": "2026-12-04T10:00:00.000000Z",
                    "is_new_user": True,
                    "profile": PROFILE_EXAMPLE,
                },
                response_only=True,
            ),
            OpenApiExample(
                "Logged in, the invite code was not activated",
                value={
                    "token": "3f1c9a5e0b7d4c2a8e6f1b3d5c7a9e0f2b4d6c8a0e1f3b5d7c9a2e4f6b8d0c1e",
                    "token_expires_at": "2026-12-04T10:00:00.000000Z",
                    "is_new_user": True,
                    "profile": PROFILE_EXAMPLE,
                    "invite_error": problem_body(problems.INVITE_CODE_NOT_FOUND),
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        body = CodeVerifyInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        login = login_code_verify(
            phone=body.validated_data["phone"],
            code=body.validated_data["code"],
            client_ip=client_ip(request),
            invite_code=body.validated_data.get("invite_code"),
        )
        token, expires_at = token_issue(user=login.user)
        data = {
            "token": token,
            "token_expires_at": expires_at,
            "is_new_user": login.is_new_user,
            "profile": profile_representation(request, profile_get(user=login.user)),
        }
        if login.invite_error is not None:
            error = login.invite_error
            data["invite_error"] = problem_body(error.problem, detail=error.message)
        return Response(CodeVerifyOutputSerializer(data, context={"request": request}).data)


class LogoutApi(APIView):
    @extend_schema(
        operation_id="auth_logout",
        summary="Log out",
        description="Revokes the token this request is made with; other sessions stay.",
        request=None,
        responses={204: OpenApiResponse(description="The token is revoked.")},
    )
    def post(self, request: Request) -> Response:
        token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllApi(APIView):
    @extend_schema(
        operation_id="auth_logout_all",
        summary="Log out everywhere",
        description="Revokes every token of this user, this one included.",
        request=None,
        responses={204: OpenApiResponse(description="Every token of the user is revoked.")},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        tokens_revoke_all(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
