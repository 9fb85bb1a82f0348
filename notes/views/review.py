"""A note under review: reading it, its transcript, the clinician's edits and decisions, signing,
addenda, rewriting it in another style, and its exports.

Every view attaches the practice first and loads the note through ``notes.access``; a
refusal from a service (DomainError) is shown to the clinician as written.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from intellisession.access import PracticeRequest, attach_practice
from intellisession.audit import audit_record
from intellisession.errors import DomainError
from notes import export
from notes.access import get_note_for_user
from notes.forms import AddendumForm, RegenerateForm, RiskAssessmentForm, SectionForm, SentenceForm, SignForm
from notes.models import Note
from notes.presenters import risk_views, section_views, sign_review, transcript_views
from notes.selectors import (
    addendum_list,
    note_transcription,
    note_version,
    note_versions,
    transcribed_input_kinds,
)
from notes.services.requests import note_regenerate
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
from transcription.services.transcripts import SPEAKER_NAME_MAX, transcription_rename_speakers


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
        transcripts = transcript_views(practice=request.practice, note=note)
        transcripts_viewed(
            [t.transcription for t in transcripts if t.lines],
            practice=request.practice,
            actor=request.user,
            request=request,
        )
        return render(
            request,
            "notes/transcript.html",
            {
                "note": note,
                "client": note.client,
                "transcripts": transcripts,
                "can_rename": request.membership.can_write,
                "name_max": SPEAKER_NAME_MAX,
            },
        )

    def post(self, request: HttpRequest, practice_slug: str, note_id: uuid.UUID) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        note = get_note_for_user(request, note_id)
        transcription = note_transcription(
            practice=request.practice, note=note, transcription_id=request.POST.get("transcription", "")
        )
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


def _note_context(
    request: PracticeRequest, note: Note, *, assessment_form: RiskAssessmentForm | None = None, **extra: Any
) -> dict[str, Any]:
    editable = request.membership.can_write and not note.is_signed
    regenerate = RegenerateForm(initial={"style": note.style_key}, practice=request.practice)
    risks = risk_views(note)
    for group in risks:
        if editable and group.endorsed:
            bound = assessment_form is not None and assessment_form["category"].value() == group.category
            initial = group.assessment.model_dump() if group.assessment else {"category": group.category}
            group.form = assessment_form if bound else RiskAssessmentForm(initial=initial, prefix=group.category)
    return {
        "note": note,
        "client": note.client,
        "sections": section_views(note),
        "risks": risks,
        "versions": note_versions(practice=request.practice, note=note) if not note.is_signed else [],
        "blockers": note_blockers(note) if not note.is_signed else [],
        "unreviewed": sign_review(note) if editable else [],
        "sign_form": SignForm(),
        "editable": editable,
        "regenerate_form": regenerate,
        "addendum_form": AddendumForm(),
        "addenda": addendum_list(practice=request.practice, note=note),
        "can_regenerate": editable and note.request_id is not None,
        "transcribed": transcribed_input_kinds(practice=request.practice, request=note.request)
        if note.request
        else set(),
        **extra,
    }


class _NoteAction(LoginRequiredMixin, View, ABC):
    """A POST on a note: load it, run one service, come back to the note with the outcome."""

    form_class: type[Any] | None = None
    done_message = ""
    invalid_message = "That change could not be read; please try again."

    def post(self, request: HttpRequest, practice_slug: str, note_id: uuid.UUID, **kwargs: Any) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        note = get_note_for_user(request, note_id)
        form = self.form_class(request.POST) if self.form_class else None
        if form is not None and not form.is_valid():
            messages.error(request, self.invalid_message)
            return self.back(note)
        try:
            response = self.act(request, note, form.cleaned_data if form else {})
        except DomainError as error:
            messages.error(request, error.message)
            return self.back(note)
        if self.done_message:
            messages.success(request, self.done_message)
        return response or self.back(note)

    @abstractmethod
    def act(self, request: PracticeRequest, note: Note, data: dict[str, Any]) -> HttpResponse | None:
        """Run the one service; a response to send instead of going back to the note, or None."""

    @staticmethod
    def back(note: Note, anchor: str = "") -> HttpResponse:
        url = reverse("note-detail", kwargs={"practice_slug": note.practice.slug, "note_id": note.pk})
        return redirect(url + anchor)


class NoteSection(_NoteAction):
    form_class = SectionForm
    done_message = "Section saved."

    def act(self, request: PracticeRequest, note: Note, data: dict[str, Any]) -> HttpResponse | None:
        note_update_section(note=note, actor=request.user, section_key=data["section"], text=data["text"])
        return self.back(note, f"#section-{data['section']}")


class NoteSentence(_NoteAction):
    form_class = SentenceForm

    def act(self, request: PracticeRequest, note: Note, data: dict[str, Any]) -> HttpResponse | None:
        note_sentence_resolve(
            note=note, actor=request.user, section_key=data["section"], index=data["index"], action=data["action"]
        )
        return self.back(note, f"#section-{data['section']}")


class NoteRiskAssessment(LoginRequiredMixin, View):
    """The risk assessment for one endorsed category; a form with errors comes back as typed."""

    def post(self, request: HttpRequest, practice_slug: str, note_id: uuid.UUID) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        note = get_note_for_user(request, note_id)
        form = RiskAssessmentForm(request.POST, prefix=request.POST.get("prefix", ""))
        if form.is_valid():
            try:
                note_risk_assess(note=note, actor=request.user, assessment=form.assessment())
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, "Risk assessment saved.")
            return _NoteAction.back(note, "#risks")
        context = _note_context(request, note, assessment_form=form)
        return render(request, "notes/note_detail.html", context, status=400)


class NoteSign(_NoteAction):
    form_class = SignForm
    done_message = "Note signed."
    invalid_message = "Confirm that you have reviewed the whole note, including what is listed, before signing."

    def act(self, request: PracticeRequest, note: Note, data: dict[str, Any]) -> HttpResponse | None:
        note_sign(note=note, actor=request.user)
        return None


class NoteAddendum(_NoteAction):
    form_class = AddendumForm
    done_message = "Addendum added."

    def act(self, request: PracticeRequest, note: Note, data: dict[str, Any]) -> HttpResponse | None:
        note_addendum_create(note=note, actor=request.user, text=data["text"])
        return self.back(note, "#addenda")


class NoteRegenerate(_NoteAction):
    def act(self, request: PracticeRequest, note: Note, data: dict[str, Any]) -> HttpResponse | None:
        form = RegenerateForm(request.POST, practice=request.practice)
        if not form.is_valid():
            raise DomainError("Choose one of this practice's note styles or templates.", code="unknown_style")
        new = note_regenerate(
            note=note,
            membership=request.membership,
            style_key=form.cleaned_data["style"],
            instruction=form.cleaned_data.get("instruction") or "",
        )
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
        audit_record(
            action="note.export",
            practice=request.practice,
            actor=request.user,
            obj=note,
            request=request,
            detail={"format": "pdf"},
        )
        return response


class NoteExportText(LoginRequiredMixin, View):
    """The plain text "Copy for EHR" puts on the clipboard; also downloadable. ``?section=<key>``:
    that section's text only, for the section's own "Copy"."""

    def get(self, request: HttpRequest, practice_slug: str, note_id: uuid.UUID) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        note = get_note_for_user(request, note_id)
        detail = {"format": "text"}
        key = request.GET.get("section")
        text = export.note_text(note) if key is None else export.section_text(note, key)
        if text is None:
            raise Http404("This note has no such section.")
        if key is not None:
            detail["section"] = key  # a key of the style ("subjective"), never the text
        response = HttpResponse(text, content_type="text/plain; charset=utf-8")
        if request.GET.get("download"):
            response["Content-Disposition"] = f'attachment; filename="{_export_name(note, "txt")}"'
        response["Cache-Control"] = "no-store"
        audit_record(
            action="note.export",
            practice=request.practice,
            actor=request.user,
            obj=note,
            request=request,
            detail=detail,
        )
        return response


class NoteVersionDetail(LoginRequiredMixin, View):
    """An earlier version of a draft, read-only, with the choice to restore it."""

    def get(self, request: HttpRequest, practice_slug: str, note_id: uuid.UUID, number: int) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        note = get_note_for_user(request, note_id)
        version = note_version(practice=request.practice, note=note, number=number)
        if version is None:
            raise Http404("This note has no such version.")
        context = {
            "note": note,
            "client": note.client,
            "version": version,
            "sections": version.document.sections,
            "can_restore": request.membership.can_write and not note.is_signed,
        }
        return render(request, "notes/note_version.html", context)


class NoteVersionRestore(_NoteAction):
    done_message = "Earlier version restored; the text it replaced is kept as a version."

    def act(self, request: PracticeRequest, note: Note, data: dict[str, Any]) -> HttpResponse | None:
        version = note_version(practice=request.practice, note=note, number=self.kwargs["number"])
        if version is None:
            raise Http404("This note has no such version.")
        note_version_restore(note=note, version=version, actor=request.user)
        return None
