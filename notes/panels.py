"""Context for the note parts of the client page and for the Generate Note form.

The client page belongs to the clients app, which must not import notes; it pulls these
panels in through the ``notes_ui`` template tags instead.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from clients.forms import ConsentForm
from clients.models import Client
from clients.selectors import consent_active, goal_list
from intellisession.access import PracticeRequest
from notes.forms import (
    AUDIO_ACCEPT,
    GENERATE_AUTO_ID,
    TEXT_KIND_CHOICES,
    GenerateNoteForm,
    InstructionForm,
    generate_consent_form,
    text_inputs,
)
from notes.models import InputKind, InstructionLevel
from notes.presenters import goal_chart
from notes.selectors import (
    client_notes,
    goal_progress_cells,
    instruction_of,
    preferred_style,
    recurring_themes,
    requests_ended_without_note,
    requests_in_progress,
)
from transcription import handwriting
from transcription.audio import ACCEPTED_CHOICE


def generate_context(
    request: PracticeRequest,
    client: Client,
    form: GenerateNoteForm | None = None,
    *,
    audio_error: str = "",
    consent_form: ConsentForm | None = None,
    consent_recorded: bool = False,
) -> dict[str, Any]:
    """The form's context; ``audio_error`` is a refusal of the attached file, shown by its field
    on the Attach file tab; ``consent_form`` the consent form shown in the form (with its errors)."""
    if form is None:
        initial = {
            "style": preferred_style(practice=request.practice, user=request.user),
            "date_of_service": timezone.localdate(),
        }
        form = GenerateNoteForm(initial=initial, practice=request.practice, auto_id=GENERATE_AUTO_ID)
    posted = request.method == "POST"
    consent = consent_active(practice=request.practice, client=client)
    return {
        "form": form,
        "client": client,
        "consent": consent,
        "consent_form": None if consent else consent_form or generate_consent_form(),
        "consent_recorded": consent_recorded,
        "audio_error": audio_error,
        "audio_tab": "attach" if audio_error else "record",
        "text_kinds": TEXT_KIND_CHOICES,
        "audio_accept": AUDIO_ACCEPT,
        "audio_formats": ACCEPTED_CHOICE,
        "page_formats": handwriting.accepted_text(),
        "page_accept": handwriting.accept_attribute(),
        "can_write": request.membership.can_write,
        # Recordings kept when a submitted form is shown again with an error.
        "upload_ids": request.POST.getlist("upload_id") if posted else [],
        "text_blocks": (text_inputs(request.POST) if posted else []) or [(InputKind.SESSION_SUMMARY.value, "")],
    }


def timeline_context(request: PracticeRequest, client: Client) -> dict[str, Any]:
    practice, writer = request.practice, request.membership.can_write
    notes = client_notes(practice=practice, membership=request.membership, client=client)
    # Running and failed requests are work in progress: read-only members (billing) see notes only.
    pending = requests_in_progress(practice=practice, client=client) if writer else []
    failed = requests_ended_without_note(practice=practice, client=client) if writer else []
    return {
        "client": client,
        "notes": notes,
        "pending": pending,
        "failed": failed,
        "themes": recurring_themes(practice=practice, client=client),
    }


def chart_context(request: PracticeRequest, client: Client) -> dict[str, Any]:
    notes = list(client_notes(practice=request.practice, membership=request.membership, client=client))
    goals = goal_list(practice=request.practice, client=client)
    cells = goal_progress_cells(practice=request.practice, notes=notes)
    return {"chart": goal_chart(notes=notes, goals=goals, cells=cells)}


def client_instruction_context(request: PracticeRequest, client: Client) -> dict[str, Any]:
    existing = instruction_of(practice=request.practice, level=InstructionLevel.CLIENT, client=client)
    form = InstructionForm(initial={"text": existing.text if existing else ""})
    # Who set it, and whose notes it shapes, so nobody's notes change without them knowing why.
    return {
        "client": client,
        "form": form,
        "can_write": request.membership.can_write,
        "instruction": existing,
        "shared": request.practice.share_client_instructions,
        "set_by_viewer": existing is not None and existing.owner_id == request.user.pk,
    }
