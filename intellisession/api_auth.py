"""API tokens over HTTP: issuing (password, then the authenticator code), listing and revoking.

A wrong authenticator code counts towards the same django-axes lockout as a wrong
password. A token's key is shown once, in the answer that issues it.
"""

from __future__ import annotations

import uuid
from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from intellisession.api import PracticeScopedViewSet
from intellisession.models import ApiToken, User
from intellisession.security import mfa_setup_needed
from intellisession.throttles import SignInThrottle
from intellisession.tokens import api_token_issue, api_token_revoke


class TokenInputSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(write_only=True, help_text="The account's e-mail address.")
    password = serializers.CharField(write_only=True, trim_whitespace=False, style={"input_type": "password"})
    code = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="The current code of the authenticator app, when two-factor is on.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        request = self.context["request"]
        user = authenticate(request=request, username=attrs["username"], password=attrs["password"])
        if not isinstance(user, User):
            raise serializers.ValidationError(
                "Unable to sign in with the e-mail and password given.", code="authorization"
            )
        totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        if totp is not None and not TOTP(totp).validate_code(attrs.get("code", "")):
            # A failed sign-in like a wrong password: audited, and counted by the lockout.
            user_login_failed.send(
                sender=__name__, credentials={"username": user.email, "reason": "mfa_code"}, request=request
            )
            raise serializers.ValidationError("Enter the current code of your authenticator app.", code="mfa_code")
        if totp is None and mfa_setup_needed(user):
            raise serializers.ValidationError(
                "Your practice requires two-factor authentication; set it up in the browser first.", code="mfa_required"
            )
        return {"user": user, "second_factor": totp is not None}


class TokenOutputSerializer(serializers.ModelSerializer[ApiToken]):
    status = serializers.CharField(read_only=True, help_text="active, expired, revoked or password_changed")

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "prefix",
            "user_id",
            "second_factor",
            "created_at",
            "expires_at",
            "last_used_at",
            "status",
            "revoked_at",
            "revoke_reason",
        ]


class IssuedTokenSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`. Shown only this once.")
    id = serializers.UUIDField()
    expires_at = serializers.DateTimeField()


class ObtainTokenView(APIView):
    """A new token for every request; earlier ones keep working until they end."""

    authentication_classes = ()
    permission_classes = (permissions.AllowAny,)
    throttle_classes = (SignInThrottle,)

    @extend_schema(request=TokenInputSerializer, responses=IssuedTokenSerializer)
    def post(self, request: Request) -> Response:
        data = TokenInputSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        issued = api_token_issue(
            user=data.validated_data["user"],
            second_factor=data.validated_data["second_factor"],
            request=request._request,
        )
        body = {"token": issued.key, "id": issued.token.pk, "expires_at": issued.token.expires_at}
        return Response(IssuedTokenSerializer(body).data)


def _own_tokens(request: Request) -> QuerySet[ApiToken]:
    return ApiToken.objects.select_related("user").filter(user=request.user)  # type: ignore[misc]


class OwnTokenListView(APIView):
    """The signed-in user's tokens (never their keys)."""

    @extend_schema(responses=TokenOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(TokenOutputSerializer(_own_tokens(request), many=True).data)


class OwnTokenView(APIView):
    @extend_schema(responses=TokenOutputSerializer)
    def get(self, request: Request, token_id: uuid.UUID) -> Response:
        return Response(TokenOutputSerializer(self._token(request, token_id)).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, token_id: uuid.UUID) -> Response:
        api_token_revoke(
            token=self._token(request, token_id),
            actor=request.user,  # type: ignore[arg-type]
            request=request._request,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @staticmethod
    def _token(request: Request, token_id: uuid.UUID) -> ApiToken:
        token = _own_tokens(request).filter(pk=token_id).first()
        if token is None:
            raise Http404("No such token.")
        return token


class MemberTokenViewSet(PracticeScopedViewSet):
    """A practice admin's view of the members' tokens, to revoke one that should not work any more."""

    queryset = ApiToken.objects.select_related("user")
    practice_lookup = "user__memberships__practice"
    admin_only = True

    @extend_schema(responses=TokenOutputSerializer(many=True))
    def list(self, request: Request, practice_slug: str) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(TokenOutputSerializer(page, many=True).data)

    @extend_schema(responses=TokenOutputSerializer)
    def retrieve(self, request: Request, practice_slug: str, pk: str) -> Response:
        token = self.get_object()
        assert isinstance(token, ApiToken)
        return Response(TokenOutputSerializer(token).data)

    @extend_schema(request=None, responses={204: None})
    def destroy(self, request: Request, practice_slug: str, pk: str) -> Response:
        token = self.get_object()
        assert isinstance(token, ApiToken)
        api_token_revoke(token=token, actor=self.membership.user, request=request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)
