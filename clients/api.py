"""REST API for clients: input serializer -> service -> output serializer."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from clients.models import Client, ConsentMethod, GoalStatus, RecordingConsent, TreatmentGoal
from clients.selectors import client_visible_to
from clients.services import (
    client_create,
    client_for_input,
    client_update,
    consent_record,
    consent_revoke,
    goal_create,
    goal_update,
)
from intellisession.api import PracticeScopedViewSet
from intellisession.validators import validate_consent_date, validate_date_of_birth, validate_plan_date


class ClientOutputSerializer(serializers.ModelSerializer[Client]):
    assigned_clinician_ids = serializers.SerializerMethodField()

    class Meta:
        model = Client
        fields = [
            "id",
            "name",
            "date_of_birth",
            "pronouns",
            "external_id",
            "medications",
            "assigned_clinician_ids",
            "created_at",
        ]

    def get_assigned_clinician_ids(self, client: Client) -> list[str]:
        return [str(user.pk) for user in client.assigned_clinicians.all()]


class ClientInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    date_of_birth = serializers.DateField(required=False, allow_null=True, validators=[validate_date_of_birth])
    pronouns = serializers.CharField(max_length=40, required=False, allow_blank=True)
    external_id = serializers.CharField(max_length=100, required=False, allow_blank=True)
    medications = serializers.CharField(max_length=4000, required=False, allow_blank=True, help_text="One per line.")
    assigned_clinician_ids = serializers.ListField(child=serializers.UUIDField(), required=False)


class ClientViewSet(PracticeScopedViewSet):
    queryset = Client.objects.filter(is_active=True).prefetch_related("assigned_clinicians")

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return client_visible_to(queryset, membership=self.membership)

    @extend_schema(responses=ClientOutputSerializer(many=True))
    def list(self, request: Request, practice_slug: str) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ClientOutputSerializer(page, many=True).data)

    @extend_schema(responses=ClientOutputSerializer)
    def retrieve(self, request: Request, practice_slug: str, pk: str) -> Response:
        return Response(ClientOutputSerializer(self._client()).data)

    @extend_schema(request=ClientInputSerializer, responses={201: ClientOutputSerializer})
    def create(self, request: Request, practice_slug: str) -> Response:
        data = ClientInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        client = client_create(practice=self.practice, actor=request.user, **data.validated_data)  # type: ignore[arg-type]
        return Response(ClientOutputSerializer(client).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ClientInputSerializer, responses=ClientOutputSerializer)
    def partial_update(self, request: Request, practice_slug: str, pk: str) -> Response:
        client = self._client()
        data = ClientInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        client = client_update(client=client, actor=request.user, **data.validated_data)  # type: ignore[arg-type]
        return Response(ClientOutputSerializer(client).data)

    def _client(self) -> Client:
        client = self.get_object()
        assert isinstance(client, Client)
        return client


class ConsentOutputSerializer(serializers.ModelSerializer[RecordingConsent]):
    class Meta:
        model = RecordingConsent
        fields = ["id", "client_id", "scope", "given_on", "method", "revoked_at", "created_at"]


class ConsentInputSerializer(serializers.Serializer[Any]):
    client_id = serializers.UUIDField()
    given_on = serializers.DateField(validators=[validate_consent_date])
    method = serializers.ChoiceField(choices=ConsentMethod.choices, default=ConsentMethod.SIGNED_FORM)


class ConsentViewSet(PracticeScopedViewSet):
    queryset = RecordingConsent.objects.all()

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        visible = client_visible_to(self.practice.clients.all(), membership=self.membership)
        queryset = queryset.filter(client__in=visible)
        client_id = self.query_id("client")
        return queryset.filter(client_id=client_id) if client_id else queryset

    @extend_schema(responses=ConsentOutputSerializer(many=True))
    def list(self, request: Request, practice_slug: str) -> Response:
        return Response(ConsentOutputSerializer(self.get_queryset(), many=True).data)

    @extend_schema(request=ConsentInputSerializer, responses={201: ConsentOutputSerializer})
    def create(self, request: Request, practice_slug: str) -> Response:
        data = ConsentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        client = client_for_input(membership=self.membership, client_id=data.validated_data["client_id"])
        consent = consent_record(
            client=client,
            actor=request.user,  # type: ignore[arg-type]
            given_on=data.validated_data["given_on"],
            method=data.validated_data["method"],
        )
        return Response(ConsentOutputSerializer(consent).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ConsentOutputSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, practice_slug: str, pk: str) -> Response:
        consent = self.get_object()
        assert isinstance(consent, RecordingConsent)
        consent = consent_revoke(consent=consent, actor=request.user)  # type: ignore[arg-type]
        return Response(ConsentOutputSerializer(consent).data)


class GoalOutputSerializer(serializers.ModelSerializer[TreatmentGoal]):
    class Meta:
        model = TreatmentGoal
        fields = ["id", "client_id", "description", "target", "status", "start_date", "target_date", "updated_at"]


class GoalInputSerializer(serializers.Serializer[Any]):
    client_id = serializers.UUIDField()
    description = serializers.CharField(max_length=2000)
    target = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    start_date = serializers.DateField(required=False, allow_null=True, validators=[validate_plan_date])
    target_date = serializers.DateField(required=False, allow_null=True, validators=[validate_plan_date])


class GoalUpdateSerializer(serializers.Serializer[Any]):
    description = serializers.CharField(max_length=2000, required=False)
    target = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=GoalStatus.choices, required=False)
    target_date = serializers.DateField(required=False, allow_null=True, validators=[validate_plan_date])


class GoalViewSet(PracticeScopedViewSet):
    queryset = TreatmentGoal.objects.all()

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        visible = client_visible_to(self.practice.clients.all(), membership=self.membership)
        queryset = queryset.filter(client__in=visible)
        client_id = self.query_id("client")
        return queryset.filter(client_id=client_id) if client_id else queryset

    @extend_schema(responses=GoalOutputSerializer(many=True))
    def list(self, request: Request, practice_slug: str) -> Response:
        return Response(GoalOutputSerializer(self.get_queryset(), many=True).data)

    @extend_schema(responses=GoalOutputSerializer)
    def retrieve(self, request: Request, practice_slug: str, pk: str) -> Response:
        goal = self.get_object()
        assert isinstance(goal, TreatmentGoal)
        return Response(GoalOutputSerializer(goal).data)

    @extend_schema(request=GoalInputSerializer, responses={201: GoalOutputSerializer})
    def create(self, request: Request, practice_slug: str) -> Response:
        data = GoalInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        client = client_for_input(membership=self.membership, client_id=values.pop("client_id"))
        goal = goal_create(client=client, actor=request.user, **values)  # type: ignore[arg-type]
        return Response(GoalOutputSerializer(goal).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=GoalUpdateSerializer, responses=GoalOutputSerializer)
    def partial_update(self, request: Request, practice_slug: str, pk: str) -> Response:
        goal = self.get_object()
        assert isinstance(goal, TreatmentGoal)
        data = GoalUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        goal = goal_update(goal=goal, actor=request.user, **data.validated_data)  # type: ignore[arg-type]
        return Response(GoalOutputSerializer(goal).data)
