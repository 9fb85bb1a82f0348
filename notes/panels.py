"""Context for the note parts of the client page and for the Generate Note form.

The client page belongs to the clients app, which must not import notes; it pulls these
panels in through the ``notes_ui`` template tags instead.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from clients.models import Client
from clients.selectors import consent_active, goal_list
from intellisession.access import PracticeRequest
from notes.access import notes_visible
from notes.forms import (
    AUDIO_ACCEPT,
    GENERATE_AUTO_ID,
    TEXT_KIND_CHOICES,
    GenerateNoteForm,
    InstructionForm,
    text_inputs,
)
from notes.models import REQUEST_FINISHED, CustomInstruction, InputKind, InstructionLevel, NoteRequest, RequestStatus
from notes.review import goal_chart
from notes.selectors import preferred_style, recurring_themes


def generate_context(request: PracticeRequest, client: Client, form: GenerateNoteForm | None = None) -> dict[str, Any]:
    if form is None:
        initial = {"style": preferred_style(practice=request.practice, user=request.user),
                   "date_of_service": timezone.localdate()}
        form = GenerateNoteForm(initial=initial, practice=request.practice, auto_id=GENERATE_AUTO_ID)
    posted = request.method == "POST"
    return {
        "form": form,
        "client": client,
        "consent": consent_active(practice=request.practice, client=client),
        "text_kinds": TEXT_KIND_CHOICES,
        "audio_accept": AUDIO_ACCEPT,
        "can_write": request.membership.can_write,
        # Recordings kept when a submitted form is shown again with an error.
        "upload_ids": request.POST.getlist("upload_id") if posted else [],
        "text_blocks": (text_inputs(request.POST) if posted else []) or [(InputKind.SESSION_SUMMARY.value, "")],
    }


def timeline_context(request: PracticeRequest, client: Client) -> dict[str, Any]:
    notes = notes_visible(request).filter(client=client).order_by("-date_of_service", "-created_at")
    pending = NoteRequest.objects.none()
    if request.membership.can_write:
        pending = NoteRequest.objects.filter(practice=request.practice, client=client, regenerates=None).exclude(
            status__in=REQUEST_FINISHED).order_by("-created_at")
    failed = NoteRequest.objects.filter(practice=request.practice, client=client,
                                        status__in=[RequestStatus.FAILED, RequestStatus.NO_SPEECH]).order_by(
        "-created_at")[:5]
    return {"client": client, "notes": notes, "pending": pending,
            "failed": failed if request.membership.can_write else [],
            "themes": recurring_themes(practice=request.practice, client=client)}


def chart_context(request: PracticeRequest, client: Client) -> dict[str, Any]:
    notes = notes_visible(request).filter(client=client)
    goals = goal_list(practice=request.practice, client=client)
    return {"chart": goal_chart(notes=notes, goals=goals)}


def client_instruction_context(request: PracticeRequest, client: Client) -> dict[str, Any]:
    existing = (CustomInstruction.objects.filter(practice=request.practice, level=InstructionLevel.CLIENT,
                                                 client=client).select_related("owner").first())
    form = InstructionForm(initial={"text": existing.text if existing else ""})
    # Who set it, and whose notes it shapes, so nobody's notes change without them knowing why.
    return {"client": client, "form": form, "can_write": request.membership.can_write, "instruction": existing,
            "shared": request.practice.share_client_instructions,
            "set_by_viewer": existing is not None and existing.owner_id == request.user.pk}
