"""REST API for note requests (multipart audio and text inputs), job status and notes."""

from __future__ import annotations

from typing import Any

import pydantic
from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from clients.selectors import client_visible_to
from intellisession.api import PracticeScopedViewSet
from intellisession.audit import audit_record
from intellisession.models import Practice
from intellisession.validators import (
    ADDENDUM_TEXT_MAX,
    NOTE_INSTRUCTION_MAX,
    SECTION_TEXT_MAX,
    validate_date_of_service,
)
from notes.document import RiskAssessment
from notes.export import note_pdf, note_text
from notes.models import Note, NoteRequest, NoteStatus
from notes.output import AddendumOut, NoteDetailOut, VersionOut, note_out
from notes.selectors import (
    addendum_list,
    note_version,
    note_versions,
    request_job_view,
    transcriptions_with_text,
)
from notes.services.requests import note_request_create, note_request_retry
from notes.services.review import (
    note_addendum_create,
    note_blockers,
    note_risk_assess,
    note_sentence_resolve,
    note_sign,
    note_update_section,
    note_version_restore,
    transcripts_viewed,
)

TEXT_FIELDS = ("session_summary", "pre_session", "post_session", "dictation")
EXPORT_FORMATS = ("pdf", "text")


class NoteRequestInputSerializer(serializers.Serializer[Any]):
    client_id = serializers.UUIDField()
    style_key = serializers.CharField(max_length=60, default="soap", help_text="soap, dap, birp, ... or template:<id>")
    summary_only = serializers.BooleanField(default=False)
    date_of_service = serializers.DateField(required=False, validators=[validate_date_of_service])
    instruction = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_INSTRUCTION_MAX, default="")
    audio = serializers.ListField(child=serializers.FileField(allow_empty_file=True), required=False, default=list)
    session_summary = serializers.CharField(required=False, allow_blank=True, default="")
    pre_session = serializers.CharField(required=False, allow_blank=True, default="")
    post_session = serializers.CharField(required=False, allow_blank=True, default="")
    dictation = serializers.CharField(required=False, allow_blank=True, default="")
    dictation_audio = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        default=list,
        help_text="Recordings of the clinician's own summary, in their voice only (sending one confirms that; "
        "it is recorded in the audit log). They need no client recording consent.",
    )


class JobOutputSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    progress = serializers.IntegerField(allow_null=True)
    error = serializers.CharField()
    note_id = serializers.UUIDField(allow_null=True)
    can_retry = serializers.BooleanField()


def _job(practice: Practice, request: NoteRequest) -> dict[str, Any]:
    view = request_job_view(practice=practice, request=request)
    return {
        "id": request.pk,
        "status": view.status,
        "status_label": view.label,
        "progress": view.progress,
        "error": view.error,
        "note_id": view.note_id,
        "can_retry": view.can_retry,
    }


class NoteRequestViewSet(PracticeScopedViewSet):
    queryset = NoteRequest.objects.select_related("client")
    serializer_class = JobOutputSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(client__in=client_visible_to(self.practice.clients.all(), membership=self.membership))

    @extend_schema(request={"multipart/form-data": NoteRequestInputSerializer}, responses={202: JobOutputSerializer})
    def create(self, request: Request, practice_slug: str) -> Response:
        data = NoteRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        note_request = note_request_create(
            membership=self.membership,
            client_id=values["client_id"],
            style_key=values["style_key"],
            audio=values["audio"],
            summary_only=values["summary_only"],
            texts=[(kind, values[kind]) for kind in TEXT_FIELDS if values[kind]],
            dictations=values["dictation_audio"],
            date_of_service=values.get("date_of_service"),
            instruction=values["instruction"],
        )
        return Response(JobOutputSerializer(_job(self.practice, note_request)).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=JobOutputSerializer)
    def retrieve(self, request: Request, practice_slug: str, pk: str) -> Response:
        return Response(JobOutputSerializer(_job(self.practice, self._request())).data)

    @extend_schema(request=None, responses={202: JobOutputSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, practice_slug: str, pk: str) -> Response:
        note_request = note_request_retry(request=self._request(), actor=self.membership.user)
        return Response(JobOutputSerializer(_job(self.practice, note_request)).data, status=status.HTTP_202_ACCEPTED)

    def _request(self) -> NoteRequest:
        note_request = self.get_object()
        assert isinstance(note_request, NoteRequest)
        return note_request


class SectionEditSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(max_length=80)
    text = serializers.CharField(allow_blank=True, max_length=SECTION_TEXT_MAX)


class NoteEditSerializer(serializers.Serializer[Any]):
    sections = SectionEditSerializer(many=True)


class ResolveSerializer(serializers.Serializer[Any]):
    section = serializers.CharField()
    index = serializers.IntegerField(min_value=0)
    action = serializers.ChoiceField(choices=["accept", "remove"])


class AddendumSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(max_length=ADDENDUM_TEXT_MAX)


class NoteSummarySerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    client_id = serializers.UUIDField()
    date_of_service = serializers.DateField()
    style_name = serializers.CharField()
    status = serializers.CharField()
    imported = serializers.BooleanField()


class NoteViewSet(PracticeScopedViewSet):
    queryset = Note.objects.select_related("client", "request")
    serializer_class = NoteSummarySerializer

    def scope_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        visible = queryset.filter(client__in=client_visible_to(self.practice.clients.all(), membership=self.membership))
        if not self.membership.can_write:  # read-only members (billing) see signed notes only
            visible = visible.filter(status=NoteStatus.SIGNED)
        client_id = self.query_id("client")
        return visible.filter(client_id=client_id) if client_id else visible

    @extend_schema(
        parameters=[OpenApiParameter("client", str, description="Only this client's notes.")],
        responses=NoteSummarySerializer(many=True),
    )
    def list(self, request: Request, practice_slug: str) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(NoteSummarySerializer(page, many=True).data)

    @extend_schema(responses=NoteDetailOut)
    def retrieve(self, request: Request, practice_slug: str, pk: str) -> Response:
        note = self._note()
        audit_record(action="note.view", practice=self.practice, actor=self.membership.user, obj=note, request=request)
        body = self._body(note)
        if note.request and body["transcript"]["segments"]:
            shown = transcriptions_with_text(practice=self.practice, request=note.request)
            transcripts_viewed(shown, practice=self.practice, actor=self.membership.user, request=request)
        return Response(body)

    @extend_schema(request=NoteEditSerializer)
    def partial_update(self, request: Request, practice_slug: str, pk: str) -> Response:
        note = self._note()
        data = NoteEditSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        for section in data.validated_data["sections"]:
            note = note_update_section(
                note=note, actor=self.membership.user, section_key=section["key"], text=section["text"]
            )
        return Response(self._body(note))

    @extend_schema(request=ResolveSerializer)
    @action(detail=True, methods=["post"], url_path="resolve-sentence")
    def resolve_sentence(self, request: Request, practice_slug: str, pk: str) -> Response:
        note = self._note()
        data = ResolveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        note = note_sentence_resolve(
            note=note,
            actor=self.membership.user,
            section_key=data.validated_data["section"],
            index=data.validated_data["index"],
            action=data.validated_data["action"],
        )
        return Response(self._body(note))

    @extend_schema(request=RiskAssessment, responses=NoteDetailOut)
    @action(detail=True, methods=["post"], url_path="assess-risk")
    def assess_risk(self, request: Request, practice_slug: str, pk: str) -> Response:
        """The risk assessment for a category the client endorsed; completing it again replaces it."""
        note = self._note()
        try:
            assessment = RiskAssessment.model_validate(request.data)
        except pydantic.ValidationError as error:
            raise serializers.ValidationError(
                {".".join(map(str, e["loc"])) or "body": [e["msg"]] for e in error.errors()}
            ) from None
        note = note_risk_assess(note=note, actor=self.membership.user, assessment=assessment)
        return Response(self._body(note))

    @extend_schema(request=None, responses=NoteDetailOut)
    @action(detail=True, methods=["post"], url_path=r"versions/(?P<number>[0-9]+)/restore")
    def restore_version(self, request: Request, practice_slug: str, pk: str, number: str) -> Response:
        """Bring back an earlier version of a draft; the text it replaces becomes a version too."""
        note = self._note()
        version = note_version(practice=self.practice, note=note, number=int(number)) if len(number) < 10 else None
        if version is None:
            raise NotFound("This note has no such version.")
        note = note_version_restore(note=note, version=version, actor=self.membership.user)
        return Response(self._body(note))

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def sign(self, request: Request, practice_slug: str, pk: str) -> Response:
        note = note_sign(note=self._note(), actor=self.membership.user)
        return Response(self._body(note))

    @extend_schema(request=AddendumSerializer)
    @action(detail=True, methods=["post"])
    def addenda(self, request: Request, practice_slug: str, pk: str) -> Response:
        note = self._note()
        data = AddendumSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        note_addendum_create(note=note, actor=self.membership.user, text=data.validated_data["text"])
        return Response(self._body(note), status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[OpenApiParameter("as", str, enum=["pdf", "text"])], responses={200: bytes})
    @action(detail=True, methods=["get"])
    def export(self, request: Request, practice_slug: str, pk: str) -> HttpResponse:
        note = self._note()
        kind = request.query_params.get("as", "pdf")
        if kind not in EXPORT_FORMATS:  # answering with some other format than asked would mislead the caller
            raise ValidationError({"as": f"Choose one of: {', '.join(EXPORT_FORMATS)}."})
        audit_record(
            action="note.export",
            practice=self.practice,
            actor=self.membership.user,
            obj=note,
            request=request,
            detail={"format": kind},
        )
        if kind == "text":
            return HttpResponse(note_text(note), content_type="text/plain; charset=utf-8")
        response = HttpResponse(note_pdf(note), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="note-{note.pk}.pdf"'
        return response

    def _note(self) -> Note:
        note = self.get_object()
        assert isinstance(note, Note)
        return note

    def _body(self, note: Note) -> dict[str, Any]:
        detail = NoteDetailOut(
            **dict(note_out(note.request, note)),
            note_status=note.status,
            client_id=str(note.client_id),
            date_of_service=note.date_of_service,
            blockers=note_blockers(note),
            content_hash=note.content_hash,
            signed_at=note.signed_at,
            addenda=[
                AddendumOut(id=str(a.pk), text=a.text, created_at=a.created_at)
                for a in addendum_list(practice=self.practice, note=note)
            ],
            versions=[
                VersionOut(number=v.number, reason=v.reason, style_name=v.style_name, created_at=v.created_at)
                for v in note_versions(practice=self.practice, note=note)
            ],
        )
        return detail.model_dump(mode="json")
