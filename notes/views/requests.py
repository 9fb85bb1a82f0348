"""Generate Note and the job's progress: the form (it works without scripts), the progress page and
its polled status, retrying a failed request."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from clients.access import get_client_for_user
from intellisession.access import PracticeRequest, attach_practice
from intellisession.errors import DomainError
from notes.access import get_request_for_user, get_upload_for_user
from notes.forms import (
    GENERATE_AUTO_ID,
    GenerateNoteForm,
    generate_consent_form,
    input_recordings,
    input_upload_ids,
    recording_ids,
    text_inputs,
)
from notes.models import NoteRequest, RequestStatus
from notes.panels import generate_context
from notes.selectors import request_job_view
from notes.services.requests import note_request_create, note_request_retry
from transcription.models import AudioUpload
from transcription.services import intake, uploads


@login_required
def note_generate(request: HttpRequest, practice_slug: str, client_id: uuid.UUID) -> HttpResponse:
    """The Generate Note form as a page: it works without scripts. The dialog posts here from its
    script (``HX-Request``): a refusal answers with the form alone, whose errors the dialog shows in
    place, and success with the address of the progress page."""
    request = attach_practice(request, practice_slug)
    client = get_client_for_user(request, client_id)
    if request.method != "POST":
        return render(request, "notes/generate.html", generate_context(request, client))
    form = GenerateNoteForm(request.POST, request.FILES, practice=request.practice, auto_id=GENERATE_AUTO_ID)
    refusal, audio_error = DomainError("", status_code=400), ""
    if form.is_valid():
        try:
            note_request = _create_request(request, client.pk, form)
        except DomainError as error:
            if _is_attached_file(request, error):
                audio_error = error.message
            else:
                form.add_error(None, error.message)
            refusal = error
        else:
            return _to_progress(request, note_request)
    partial = bool(request.headers.get("HX-Request"))
    response = render(
        request,
        "notes/_generate_form.html" if partial else "notes/generate.html",
        generate_context(request, client, form, audio_error=audio_error),
        status=refusal.status_code,
    )
    for header, value in refusal.headers.items():  # a rate limit says when to try again
        response[header] = value
    return response


def _to_progress(request: PracticeRequest, note_request: NoteRequest) -> HttpResponse:
    url = reverse("note-request-detail", kwargs={"practice_slug": request.practice.slug, "request_id": note_request.pk})
    if request.headers.get("HX-Request"):
        return HttpResponse(status=204, headers={"HX-Redirect": url})
    return redirect(url)


def _is_attached_file(request: PracticeRequest, error: DomainError) -> bool:
    """A refusal of a file from the Attach file field, shown there rather than above the form."""
    names = {intake.upload_name(f) for f in request.FILES.getlist("audio")}
    return isinstance(error, intake.AudioRefused) and bool(error.upload_name) and error.upload_name in names


class GenerateConsent(LoginRequiredMixin, View):
    """The client's recording consent recorded from inside Generate Note (htmx): the form's audio
    part comes back, with the recorder and the file field once consent is on file; nothing else in
    the form is touched, so what was typed stays."""

    def post(self, request: HttpRequest, practice_slug: str, client_id: uuid.UUID) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        client = get_client_for_user(request, client_id)
        form = generate_consent_form(request.POST, request.FILES)
        recorded = form.record(client, request.user)
        context = generate_context(request, client, consent_form=form, consent_recorded=recorded)
        return render(request, "notes/_generate_form.html", context, status=200 if recorded else 400)


def _create_request(request: PracticeRequest, client_id: uuid.UUID, form: GenerateNoteForm) -> NoteRequest:
    data = form.cleaned_data
    recordings = [_upload_of(request, upload_id, client_id) for upload_id in _recording_ids(request)]
    dictated = [_dictation_of(request, upload_id, client_id, ticked) for upload_id, ticked in _dictation_ids(request)]
    session_files, dictations = input_recordings(request.POST, request.FILES)
    paths: list[Path] = []
    try:
        for upload in [*recordings, *dictated]:
            paths.append(uploads.upload_finish(upload))
        note_request = note_request_create(
            membership=request.membership,
            client_id=client_id,
            style_key=data["style"],
            audio=[*request.FILES.getlist("audio"), *session_files, *paths[: len(recordings)]],
            texts=text_inputs(request.POST),
            dictations=dictations,
            recorded_dictations=list(zip(dictated, paths[len(recordings) :], strict=True)),
            summary_only=data["summary_only"],
            date_of_service=data["date_of_service"],
            instruction=data.get("instruction") or "",
        )
    except DomainError:
        for upload in [*recordings, *dictated]:
            uploads.upload_reopen(upload)  # keep the recording so the clinician can fix the form
        raise
    finally:
        for path in paths:
            path.unlink(missing_ok=True)
    for upload in [*recordings, *dictated]:
        uploads.upload_release(upload, reason="intake")
    return note_request


def _recording_ids(request: PracticeRequest) -> list[uuid.UUID]:
    try:
        return recording_ids(request.POST)
    except ValidationError as error:
        raise DomainError(error.messages[0], code="upload_id") from None


def _dictation_ids(request: PracticeRequest) -> list[tuple[uuid.UUID, bool]]:
    try:
        return input_upload_ids(request.POST)
    except ValidationError as error:
        raise DomainError(error.messages[0], code="upload_id") from None


def _upload_of(request: PracticeRequest, upload_id: uuid.UUID, client_id: uuid.UUID) -> AudioUpload:
    """The session's own recording: never a dictation, which needed no client consent."""
    upload = get_upload_for_user(request, upload_id, write=True)
    if upload.client_id != client_id:
        raise DomainError("That recording belongs to another client.", code="wrong_client")
    if upload.dictation:
        raise DomainError(
            "That recording is a dictation of your own voice; it cannot be the session's recording.",
            code="dictation_as_session",
        )
    return upload


def _dictation_of(request: PracticeRequest, upload_id: uuid.UUID, client_id: uuid.UUID, ticked: bool) -> AudioUpload:
    """A dictation recorded in an input's Audio tab: it stays a dictation, so its box must be ticked."""
    upload = get_upload_for_user(request, upload_id, write=True)
    if upload.client_id != client_id:
        raise DomainError("That dictation belongs to another client.", code="wrong_client")
    if not upload.dictation:
        raise DomainError("That recording was not made as a dictation.", code="not_dictation")
    if not ticked:
        raise DomainError(
            'A dictation recorded here holds only your voice: keep "Dictation (my voice only)" ticked, '
            "or discard the recording.",
            code="dictation_unticked",
        )
    return upload


# --- Progress of a note request -----------------------------------------------------------


def _job_context(request: PracticeRequest, note_request: NoteRequest) -> dict[str, Any]:
    job = request_job_view(practice=request.practice, request=note_request)
    return {
        "note_request": note_request,
        "job": job,
        "steps": _steps(job.status, has_audio=job.has_audio),
        "finished": note_request.is_finished,
        "has_audio": job.has_audio,
        "audio_failed": job.audio_failed,
    }


def _ready_note_url(context: dict[str, Any], practice_slug: str) -> str | None:
    """The note's address once the request is ready, else None."""
    job = context["job"]
    if not job.note_id or job.status != RequestStatus.READY:
        return None
    return reverse("note-detail", kwargs={"practice_slug": practice_slug, "note_id": job.note_id})


def _steps(status: str, *, has_audio: bool) -> list[dict[str, str]]:
    """The stages a clinician sees, each done, current or still to come."""
    stages = [(RequestStatus.QUEUED.value, "Queued")]
    if has_audio:
        stages.append((RequestStatus.TRANSCRIBING.value, "Transcribing"))
    stages += [(RequestStatus.GENERATING.value, "Writing the note"), (RequestStatus.READY.value, "Note ready")]
    keys = [key for key, _ in stages]
    position = keys.index(status) if status in keys else -1
    return [
        {
            "label": label,
            "state": "done"
            if position > i or status == RequestStatus.READY
            else "current"
            if position == i
            else "todo",
        }
        for i, (_, label) in enumerate(stages)
    ]


class RequestDetail(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, practice_slug: str, request_id: uuid.UUID) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        note_request = get_request_for_user(request, request_id)
        context = _job_context(request, note_request)
        if note_url := _ready_note_url(context, practice_slug):
            # Ready before the progress page was first shown (a short summary): nothing to watch.
            return redirect(note_url)
        return render(request, "notes/request_detail.html", context)


class RequestStatusPart(LoginRequiredMixin, View):
    """Polled by the progress page; once the note is ready, htmx is told to open it."""

    def get(self, request: HttpRequest, practice_slug: str, request_id: uuid.UUID) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        note_request = get_request_for_user(request, request_id)
        context = _job_context(request, note_request)
        response = render(request, "notes/_job_status.html", context)
        if request.headers.get("HX-Request") and (note_url := _ready_note_url(context, practice_slug)):
            response["HX-Redirect"] = note_url
        return response


class RequestRetry(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, practice_slug: str, request_id: uuid.UUID) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        note_request = get_request_for_user(request, request_id)
        url = reverse("note-request-detail", kwargs={"practice_slug": practice_slug, "request_id": request_id})
        try:
            note_request_retry(request=note_request, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
            if error.code == "audio_gone":
                return redirect(url + "?audio_gone=1")
        return redirect(url)
