"""API token issuing that honours two-factor authentication and sign-in throttling."""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response

from intellisession.models import User
from intellisession.security import mfa_setup_needed
from intellisession.signals import record_account_event
from intellisession.throttles import SignInThrottle


class TokenInputSerializer(AuthTokenSerializer):
    code = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="The current code of the authenticator app, when two-factor is on.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        user: User = attrs["user"]
        totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        if totp is not None and not TOTP(totp).validate_code(attrs.get("code", "")):
            record_account_event(
                "auth.sign_in_failed",
                user=user,
                request=self.context.get("request"),
                detail={"known_user": True, "reason": "mfa_code"},
            )
            raise serializers.ValidationError("Enter the current code of your authenticator app.", code="mfa_code")
        if totp is None and mfa_setup_needed(user):
            raise serializers.ValidationError(
                "Your practice requires two-factor authentication; set it up in the browser first.", code="mfa_required"
            )
        return attrs


class ObtainTokenView(ObtainAuthToken):
    serializer_class = TokenInputSerializer
    throttle_classes = (SignInThrottle,)

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        token, _ = Token.objects.get_or_create(user=user)
        record_account_event("auth.api_token", user=user, request=request._request)
        return Response({"token": token.key})
