"""REST API for clients: input serializer -> service -> output serializer."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from clients.models import Client
from clients.selectors import client_visible_to
from clients.services import client_create, client_update
from intellisession.api import PracticeScopedViewSet


class ClientOutputSerializer(serializers.ModelSerializer[Client]):
    assigned_clinician_ids = serializers.SerializerMethodField()

    class Meta:
        model = Client
        fields = ["id", "name", "date_of_birth", "pronouns", "external_id", "assigned_clinician_ids", "created_at"]

    def get_assigned_clinician_ids(self, client: Client) -> list[str]:
        return [str(user.pk) for user in client.assigned_clinicians.all()]


class ClientInputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    pronouns = serializers.CharField(max_length=40, required=False, allow_blank=True)
    external_id = serializers.CharField(max_length=100, required=False, allow_blank=True)
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
