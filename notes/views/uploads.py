"""The browser recorder's JSON endpoints: start a recording, send its parts, see where it stands,
discard it."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import View

from clients.access import get_client_for_user
from intellisession.access import attach_practice
from intellisession.errors import DomainError
from notes.access import get_upload_for_user
from notes.selectors import chart_terms
from transcription.models import AudioUpload
from transcription.services import live, uploads
from transcription.services.handwriting import handwriting_read


def _json_error(error: DomainError) -> JsonResponse:
    body: dict[str, Any] = {"error": {"code": error.code, "message": error.message}}
    if isinstance(error, uploads.SequenceError):
        body["expected_seq"] = error.expected
    return JsonResponse(body, status=error.status_code, headers=getattr(error, "headers", None))


def _upload_json(upload: AudioUpload, status: int = 200) -> JsonResponse:
    return JsonResponse(
        {
            "id": str(upload.pk),
            "status": upload.status,
            "next_seq": upload.next_seq,
            "bytes": upload.bytes,
            "client_id": str(upload.client_id),
            "live": live.live_progress(upload),
        },
        status=status,
    )


class UploadStart(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, practice_slug: str) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        client = get_client_for_user(request, request.POST.get("client_id", ""))
        dictation = request.POST.get("dictation") == "1"  # the clinician's own voice only, from an input
        try:
            terms = chart_terms(practice=request.practice, client=client)
            upload = uploads.upload_start(client=client, actor=request.user, dictation=dictation, priming_terms=terms)
        except DomainError as error:
            return _json_error(error)
        return _upload_json(upload, status=201)


class UploadDetail(LoginRequiredMixin, View):
    """Where a recording stands, so a reloaded page can continue it."""

    def get(self, request: HttpRequest, practice_slug: str, upload_id: uuid.UUID) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        return _upload_json(get_upload_for_user(request, upload_id))


class UploadPart(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, practice_slug: str, upload_id: uuid.UUID, seq: int) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        upload = get_upload_for_user(request, upload_id, write=True)
        if int(request.META.get("CONTENT_LENGTH") or 0) > uploads.CHUNK_MAX_BYTES:
            return _json_error(
                DomainError("This part of the recording is too large.", code="chunk_too_large", status_code=413)
            )
        try:
            upload = uploads.upload_append(upload, seq, request.body)
        except DomainError as error:
            return _json_error(error)
        return _upload_json(upload)


class UploadDiscard(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, practice_slug: str, upload_id: uuid.UUID) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        upload = get_upload_for_user(request, upload_id, write=True)
        uploads.upload_discard(upload)
        return _upload_json(upload)


class HandwritingRead(LoginRequiredMixin, View):
    """A photo or scan of a page of handwritten notes, read into text for an input's text box;
    the image is deleted once read."""

    def post(self, request: HttpRequest, practice_slug: str, client_id: uuid.UUID) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        get_client_for_user(request, client_id)
        page = request.FILES.get("page")
        if page is None:
            return _json_error(DomainError("Choose a photo or scan of the page to read.", code="no_page"))
        try:
            text = handwriting_read(page, user_id=request.user.pk)
        except DomainError as error:
            return _json_error(error)
        return JsonResponse({"text": text})
