"""Clinician pages: Generate Note, the job's progress, note review and signing, exports.

Every view attaches the practice first and loads objects through ``notes.access``; a
refusal from a service (DomainError) is shown to the clinician as written.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from clients.access import get_client_for_user
from intellisession.access import PracticeRequest, attach_practice, require_admin
from intellisession.audit import audit_record
from intellisession.errors import DomainError
from notes import export, services
from notes.access import get_note_for_user, get_request_for_user, get_template_for_user, get_upload_for_user
from notes.forms import (
    GENERATE_AUTO_ID,
    AddendumForm,
    DefaultStyleForm,
    GenerateNoteForm,
    InstructionForm,
    PreferenceForm,
    RegenerateForm,
    RiskForm,
    SectionForm,
    SentenceForm,
    TemplateCreateForm,
    TemplateInstructionForm,
    TemplateNameForm,
    recording_ids,
    text_inputs,
)
from notes.models import CustomInstruction, InputKind, InstructionLevel, Note, NoteRequest, NoteTemplate, RequestStatus
from notes.panels import generate_context
from notes.review import (
    risk_views,
    section_views,
    sections_from_post,
    template_archive,
    transcript_views,
    transcripts_viewed,
)
from notes.selectors import preferred_style, request_job_view, request_transcriptions, style_choices
from notes.styles import BUILTIN_STYLES, ROLES
from transcription import uploads
from transcription.models import AudioUpload, TranscriptionStatus
from transcription.services import SPEAKER_NAME_MAX, transcription_rename_speakers

# --- Generate Note ------------------------------------------------------------------------


@login_required
def note_generate(request: HttpRequest, practice_slug: str, client_id: uuid.UUID) -> HttpResponse:
    """The Generate Note form as a page: the dialog posts here, and it works without scripts."""
    request = attach_practice(request, practice_slug)
    client = get_client_for_user(request, client_id)
    if request.method != "POST":
        return render(request, "notes/generate.html", generate_context(request, client))
    form = GenerateNoteForm(request.POST, request.FILES, practice=request.practice, auto_id=GENERATE_AUTO_ID)
    if form.is_valid():
        try:
            note_request = _create_request(request, client.pk, form)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            return redirect("note-request-detail", practice_slug=practice_slug, request_id=note_request.pk)
    return render(request, "notes/generate.html", generate_context(request, client, form), status=400)


def _create_request(request: PracticeRequest, client_id: uuid.UUID, form: GenerateNoteForm) -> NoteRequest:
    data = form.cleaned_data
    recordings = [_upload_of(request, upload_id, client_id) for upload_id in _recording_ids(request)]
    paths: list[Path] = []
    try:
        for upload in recordings:
            paths.append(uploads.upload_finish(upload))
        note_request = services.note_request_create(
            membership=request.membership, client_id=client_id, style_key=data["style"],
            audio=[*request.FILES.getlist("audio"), *paths], texts=text_inputs(request.POST),
            summary_only=data["summary_only"], date_of_service=data["date_of_service"],
            instruction=data.get("instruction") or "")
    except DomainError:
        for upload in recordings:
            uploads.upload_reopen(upload)  # keep the recording so the clinician can fix the form
        raise
    finally:
        for path in paths:
            path.unlink(missing_ok=True)
    for upload in recordings:
        uploads.upload_release(upload, reason="intake")
    return note_request


def _recording_ids(request: PracticeRequest) -> list[uuid.UUID]:
    try:
        return recording_ids(request.POST)
    except ValidationError as error:
        raise DomainError(error.messages[0], code="upload_id") from None


def _upload_of(request: PracticeRequest, upload_id: uuid.UUID, client_id: uuid.UUID) -> AudioUpload:
    upload = get_upload_for_user(request, upload_id, write=True)
    if upload.client_id != client_id:
        raise DomainError("That recording belongs to another client.", code="wrong_client")
    return upload


# --- Progress of a note request -----------------------------------------------------------


def _job_context(note_request: NoteRequest) -> dict[str, Any]:
    job = request_job_view(note_request)
    has_audio = note_request.inputs.filter(kind=InputKind.AUDIO).exists()
    return {"note_request": note_request, "job": job, "steps": _steps(job.status, has_audio=has_audio),
            "finished": note_request.is_finished, "has_audio": has_audio,
            # Retrying cannot help once the recording itself failed: it was deleted for privacy.
            "audio_failed": job.status == RequestStatus.FAILED and note_request.inputs.filter(
                transcription__status=TranscriptionStatus.FAILED).exists()}


def _steps(status: str, *, has_audio: bool) -> list[dict[str, str]]:
    """The stages a clinician sees, each done, current or still to come."""
    stages = [(RequestStatus.QUEUED.value, "Queued")]
    if has_audio:
        stages.append((RequestStatus.TRANSCRIBING.value, "Transcribing"))
    stages += [(RequestStatus.GENERATING.value, "Writing the note"), (RequestStatus.READY.value, "Note ready")]
    keys = [key for key, _ in stages]
    position = keys.index(status) if status in keys else -1
    return [{"label": label, "state": "done" if position > i or status == RequestStatus.READY
             else "current" if position == i else "todo"} for i, (_, label) in enumerate(stages)]


class RequestDetail(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, practice_slug: str, request_id: uuid.UUID) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        note_request = get_request_for_user(request, request_id)
        return render(request, "notes/request_detail.html", _job_context(note_request))


class RequestStatusPart(LoginRequiredMixin, View):
    """Polled by the progress page; once the note is ready, htmx is told to open it."""

    def get(self, request: HttpRequest, practice_slug: str, request_id: uuid.UUID) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        note_request = get_request_for_user(request, request_id)
        context = _job_context(note_request)
        response = render(request, "notes/_job_status.html", context)
        note_id = context["job"].note_id
        if request.headers.get("HX-Request") and note_id and context["job"].status == RequestStatus.READY:
            response["HX-Redirect"] = reverse("note-detail", kwargs={"practice_slug": practice_slug,
                                                                     "note_id": note_id})
        return response


class RequestRetry(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, practice_slug: str, request_id: uuid.UUID) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        note_request = get_request_for_user(request, request_id)
        url = reverse("note-request-detail", kwargs={"practice_slug": practice_slug, "request_id": request_id})
        try:
            services.note_request_retry(request=note_request, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
            if error.code == "audio_gone":
                return redirect(url + "?audio_gone=1")
        return redirect(url)


# --- Note review --------------------------------------------------------------------------


class NoteDetail(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, practice_slug: str, note_id: uuid.UUID) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        note = get_note_for_user(request, note_id)
        audit_record(action="note.view", practice=request.practice, actor=request.user, obj=note, request=request)
        return render(request, "notes/note_detail.html", _note_context(request, note))


class NoteTranscript(LoginRequiredMixin, View):
    """The transcript behind a note, with the speakers shown by the names the clinician gives them."""

    def get(self, request: HttpRequest, practice_slug: str, note_id: uuid.UUID) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        note = get_note_for_user(request, note_id)
        transcripts = transcript_views(note)
        transcripts_viewed([t.transcription for t in transcripts if t.lines], practice=request.practice,
                           actor=request.user, request=request)
        return render(request, "notes/transcript.html", {
            "note": note, "client": note.client, "transcripts": transcripts,
            "can_rename": request.membership.can_write, "name_max": SPEAKER_NAME_MAX})

    def post(self, request: HttpRequest, practice_slug: str, note_id: uuid.UUID) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        note = get_note_for_user(request, note_id)
        wanted = request.POST.get("transcription", "")
        transcription = next((t for t in request_transcriptions(note.request) if str(t.pk) == wanted), None) \
            if note.request else None
        if transcription is None:
            raise Http404("No such transcript.")
        names = dict(zip(request.POST.getlist("speaker"), request.POST.getlist("name"), strict=False))
        try:
            transcription_rename_speakers(transcription=transcription, names=names, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Speaker names saved.")
        return redirect("note-transcript", practice_slug=practice_slug, note_id=note.pk)


def _note_context(request: PracticeRequest, note: Note, **extra: Any) -> dict[str, Any]:
    editable = request.membership.can_write and not note.is_signed
    regenerate = RegenerateForm(initial={"style": note.style_key}, practice=request.practice)
    return {"note": note, "client": note.client, "sections": section_views(note), "risks": risk_views(note),
            "blockers": services.note_blockers(note) if not note.is_signed else [], "editable": editable,
            "regenerate_form": regenerate, "addendum_form": AddendumForm(), "addenda": note.addenda.all(),
            "can_regenerate": editable and note.request_id is not None,
            "has_recording": bool(note.request and request_transcriptions(note.request)), **extra}


class _NoteAction(LoginRequiredMixin, View):
    """A POST on a note: load it, run one service, come back to the note with the outcome."""

    form_class: type[Any] | None = None
    done_message = ""

    def post(self, request: HttpRequest, practice_slug: str, note_id: uuid.UUID) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        note = get_note_for_user(request, note_id)
        form = self.form_class(request.POST) if self.form_class else None
        if form is not None and not form.is_valid():
            messages.error(request, "That change could not be read; please try again.")
            return self.back(note)
        try:
            response = self.act(request, note, form.cleaned_data if form else {})
        except DomainError as error:
            messages.error(request, error.message)
            return self.back(note)
        if self.done_message:
            messages.success(request, self.done_message)
        return response or self.back(note)

    def act(self, request: PracticeRequest, note: Note, data: dict[str, Any]) -> HttpResponse | None:
        raise NotImplementedError

    @staticmethod
    def back(note: Note, anchor: str = "") -> HttpResponse:
        url = reverse("note-detail", kwargs={"practice_slug": note.practice.slug, "note_id": note.pk})
        return redirect(url + anchor)


class NoteSection(_NoteAction):
    form_class = SectionForm
    done_message = "Section saved."

    def act(self, request: PracticeRequest, note: Note, data: dict[str, Any]) -> HttpResponse | None:
        services.note_update_section(note=note, actor=request.user, section_key=data["section"], text=data["text"])
        return self.back(note, f"#section-{data['section']}")


class NoteSentence(_NoteAction):
    form_class = SentenceForm

    def act(self, request: PracticeRequest, note: Note, data: dict[str, Any]) -> HttpResponse | None:
        services.note_sentence_resolve(note=note, actor=request.user, section_key=data["section"],
                                       index=data["index"], action=data["action"])
        return self.back(note, f"#section-{data['section']}")


class NoteRisk(_NoteAction):
    form_class = RiskForm
    done_message = "Risk item acknowledged."

    def act(self, request: PracticeRequest, note: Note, data: dict[str, Any]) -> HttpResponse | None:
        services.note_risk_acknowledge(note=note, actor=request.user, index=data["index"])
        return self.back(note, "#risks")


class NoteSign(_NoteAction):
    done_message = "Note signed."

    def act(self, request: PracticeRequest, note: Note, data: dict[str, Any]) -> HttpResponse | None:
        services.note_sign(note=note, actor=request.user)
        return None


class NoteAddendum(_NoteAction):
    form_class = AddendumForm
    done_message = "Addendum added."

    def act(self, request: PracticeRequest, note: Note, data: dict[str, Any]) -> HttpResponse | None:
        services.note_addendum_create(note=note, actor=request.user, text=data["text"])
        return self.back(note, "#addenda")


class NoteRegenerate(_NoteAction):
    def act(self, request: PracticeRequest, note: Note, data: dict[str, Any]) -> HttpResponse | None:
        form = RegenerateForm(request.POST, practice=request.practice)
        if not form.is_valid():
            raise DomainError("Choose one of this practice's note styles or templates.", code="unknown_style")
        new = services.note_regenerate(note=note, membership=request.membership, style_key=form.cleaned_data["style"],
                                       instruction=form.cleaned_data.get("instruction") or "")
        return redirect("note-request-detail", practice_slug=note.practice.slug, request_id=new.pk)


# --- Exports ------------------------------------------------------------------------------


def _export_name(note: Note, extension: str) -> str:
    # Ids and dates only: a file name ends up in download folders and logs.
    return f"note-{note.date_of_service.isoformat()}-{str(note.pk)[:8]}.{extension}"


class NoteExportPdf(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, practice_slug: str, note_id: uuid.UUID) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        note = get_note_for_user(request, note_id)
        response = HttpResponse(export.note_pdf(note), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{_export_name(note, "pdf")}"'
        audit_record(action="note.export", practice=request.practice, actor=request.user, obj=note,
                     request=request, detail={"format": "pdf"})
        return response


class NoteExportText(LoginRequiredMixin, View):
    """The plain text "Copy for EHR" puts on the clipboard; also downloadable."""

    def get(self, request: HttpRequest, practice_slug: str, note_id: uuid.UUID) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        note = get_note_for_user(request, note_id)
        response = HttpResponse(export.note_text(note), content_type="text/plain; charset=utf-8")
        if request.GET.get("download"):
            response["Content-Disposition"] = f'attachment; filename="{_export_name(note, "txt")}"'
        response["Cache-Control"] = "no-store"
        audit_record(action="note.export", practice=request.practice, actor=request.user, obj=note,
                     request=request, detail={"format": "text"})
        return response

# --- Recording uploads (the recorder's JSON endpoints) -----------------------------------


def _json_error(error: DomainError) -> JsonResponse:
    body: dict[str, Any] = {"error": {"code": error.code, "message": error.message}}
    if isinstance(error, uploads.SequenceError):
        body["expected_seq"] = error.expected
    return JsonResponse(body, status=error.status_code)


def _upload_json(upload: AudioUpload, status: int = 200) -> JsonResponse:
    return JsonResponse({"id": str(upload.pk), "status": upload.status, "next_seq": upload.next_seq,
                         "bytes": upload.bytes, "client_id": str(upload.client_id)}, status=status)


class UploadStart(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, practice_slug: str) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        client = get_client_for_user(request, request.POST.get("client_id", ""))
        try:
            upload = uploads.upload_start(client=client, actor=request.user)
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
            return _json_error(DomainError("This part of the recording is too large.", code="chunk_too_large",
                                           status_code=413))
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


# --- Templates, instructions, preferred style ---------------------------------------------


@login_required
def template_list(request: HttpRequest, practice_slug: str) -> HttpResponse:
    request = attach_practice(request, practice_slug)
    form = TemplateCreateForm(request.POST or None, practice=request.practice)
    if request.method == "POST":
        require_admin(request)
        if form.is_valid():
            try:
                template = services.template_create(practice=request.practice, actor=request.user,
                                                    name=form.cleaned_data["name"],
                                                    based_on=form.cleaned_data["based_on"])
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, "Template created. Change its sections below.")
                return redirect("note-template-edit", practice_slug=practice_slug, template_id=template.pk)
    return _templates_page(request, form=form)


def _templates_page(request: PracticeRequest, *, form: TemplateCreateForm | None = None,
                    default_form: DefaultStyleForm | None = None) -> HttpResponse:
    form = form if form is not None else TemplateCreateForm(practice=request.practice)
    default_form = default_form if default_form is not None else DefaultStyleForm(practice=request.practice)
    templates = NoteTemplate.objects.filter(practice=request.practice, is_archived=False)
    context = {"form": form, "default_form": default_form, "builtins": BUILTIN_STYLES.values(),
               "templates": templates, "is_admin": request.membership.is_admin}
    return render(request, "notes/templates.html", context, status=400 if form.errors or default_form.errors else 200)


class PracticeDefaultStyle(LoginRequiredMixin, View):
    """The practice's default note style, chosen by an admin where the styles are listed."""

    def post(self, request: HttpRequest, practice_slug: str) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        require_admin(request)
        form = DefaultStyleForm(request.POST, practice=request.practice)
        if not form.is_valid():
            return _templates_page(request, default_form=form)
        try:
            services.practice_default_style_set(practice=request.practice, actor=request.user, request=request,
                                                style_key=form.cleaned_data["default_style"])
        except DomainError as error:
            form.add_error(None, error.message)
            return _templates_page(request, default_form=form)
        messages.success(request, "Practice default style saved.")
        return redirect("note-templates", practice_slug=practice_slug)


@login_required
def template_edit(request: HttpRequest, practice_slug: str, template_id: uuid.UUID) -> HttpResponse:
    request = attach_practice(request, practice_slug)
    template = get_template_for_user(request, template_id)
    form = TemplateNameForm(request.POST or None, initial={"name": template.name})
    sections: list[dict[str, str]] = list(template.sections)
    if request.method == "POST":
        require_admin(request)
        sections = sections_from_post(request.POST)
        if form.is_valid():
            try:
                services.template_update(template=template, actor=request.user, name=form.cleaned_data["name"],
                                         sections=sections)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, "Template saved.")
                return redirect("note-template-edit", practice_slug=practice_slug, template_id=template.pk)
    context = {"template": template, "form": form, "sections": sections, "roles": sorted(ROLES),
               "is_admin": request.membership.is_admin}
    return render(request, "notes/template_edit.html", context, status=400 if form.errors else 200)


class TemplateRemove(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, practice_slug: str, template_id: uuid.UUID) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        template = get_template_for_user(request, template_id)
        require_admin(request)
        template_archive(template=template, actor=request.user)
        messages.success(request, "Template removed.")
        return redirect("note-templates", practice_slug=practice_slug)


@login_required
def note_settings(request: HttpRequest, practice_slug: str) -> HttpResponse:
    """The clinician's preferred template and standing instructions (general and per template)."""
    request = attach_practice(request, practice_slug)
    forms_ = _settings_forms(request)
    if request.method == "POST":
        which = request.POST.get("form", "")
        handler = {"preference": _save_preference, "general": _save_general, "template": _save_template}.get(which)
        if handler is not None and handler(request, forms_):
            return redirect("note-settings", practice_slug=practice_slug)
    status = 400 if any(f.errors for f in forms_.values()) else 200
    context = {**forms_, "template_instructions": _template_instructions(request)}
    return render(request, "notes/settings.html", context, status=status)


def _settings_forms(request: PracticeRequest) -> dict[str, Any]:
    general = CustomInstruction.objects.filter(practice=request.practice, owner=request.user,
                                               level=InstructionLevel.GENERAL).first()
    posted = request.POST.get("form") if request.method == "POST" else None
    data = {name: (request.POST if posted == name else None) for name in ("preference", "general", "template")}
    return {
        "preference": PreferenceForm(data["preference"], practice=request.practice,
                                     initial={"style": preferred_style(practice=request.practice,
                                                                       user=request.user)}, auto_id="pref-%s"),
        "general": InstructionForm(data["general"], initial={"text": general.text if general else ""},
                                   auto_id="general-%s"),
        "template": TemplateInstructionForm(data["template"], practice=request.practice, auto_id="tpl-%s"),
    }


def _template_instructions(request: PracticeRequest) -> list[tuple[str, str]]:
    names = dict(style_choices(practice=request.practice))
    rows = CustomInstruction.objects.filter(practice=request.practice, owner=request.user,
                                            level=InstructionLevel.TEMPLATE)
    return [(names.get(row.style_key, row.style_key), row.text or "") for row in rows]


def _settings_save(request: PracticeRequest, form: Any, save: Any, done: str) -> bool:
    if not form.is_valid():
        return False
    try:
        save(form.cleaned_data)
    except DomainError as error:
        form.add_error(None, error.message)
        return False
    messages.success(request, done)
    return True


def _save_preference(request: PracticeRequest, forms_: dict[str, Any]) -> bool:
    return _settings_save(request, forms_["preference"], lambda data: services.preference_set(
        membership=request.membership, preferred_style=data["style"]), "Preferred template saved.")


def _save_general(request: PracticeRequest, forms_: dict[str, Any]) -> bool:
    return _settings_save(request, forms_["general"], lambda data: services.instruction_set(
        membership=request.membership, level=InstructionLevel.GENERAL, text=data["text"]), "Instruction saved.")


def _save_template(request: PracticeRequest, forms_: dict[str, Any]) -> bool:
    return _settings_save(request, forms_["template"], lambda data: services.instruction_set(
        membership=request.membership, level=InstructionLevel.TEMPLATE, text=data["text"],
        style_key=data["style"]), "Template instruction saved.")


class ClientInstruction(LoginRequiredMixin, View):
    """The standing instruction for one client's notes, edited on the client page."""

    def post(self, request: HttpRequest, practice_slug: str, client_id: uuid.UUID) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        client = get_client_for_user(request, client_id)
        form = InstructionForm(request.POST)
        if form.is_valid():
            try:
                services.instruction_set(membership=request.membership, level=InstructionLevel.CLIENT,
                                         text=form.cleaned_data["text"], client=client)
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, "Instruction for this client saved.")
        url = reverse("client-detail", kwargs={"practice_slug": practice_slug, "client_id": client.pk})
        return redirect(url + "#instruction")
