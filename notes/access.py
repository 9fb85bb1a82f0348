"""Loading notes, note requests, templates and recordings for the signed-in member.

Anything outside the member's practice, or outside their caseload when the practice
does not share it, is a 404. Read-only members see signed notes only.
"""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.http import Http404

from clients.models import Client
from clients.selectors import client_visible_to
from intellisession.access import PracticeRequest, parse_id
from notes.models import Note, NoteRequest, NoteTemplate
from notes.selectors import notes_visible_to
from transcription.models import AudioUpload


def visible_clients(request: PracticeRequest) -> QuerySet[Client]:
    return client_visible_to(Client.objects.filter(practice=request.practice), membership=request.membership)


def get_note_for_user(request: PracticeRequest, note_id: uuid.UUID | str) -> Note:
    notes = notes_visible_to(practice=request.practice, membership=request.membership)
    try:
        return notes.select_related("client", "request").get(pk=parse_id(note_id))
    except Note.DoesNotExist:
        raise Http404("No such note.") from None


def get_request_for_user(request: PracticeRequest, request_id: uuid.UUID | str) -> NoteRequest:
    queryset = NoteRequest.objects.filter(practice=request.practice, client__in=visible_clients(request))
    try:
        return queryset.select_related("client").get(pk=parse_id(request_id))
    except NoteRequest.DoesNotExist:
        raise Http404("No such note request.") from None


def get_template_for_user(request: PracticeRequest, template_id: uuid.UUID | str) -> NoteTemplate:
    try:
        return NoteTemplate.objects.get(practice=request.practice, pk=parse_id(template_id), is_archived=False)
    except NoteTemplate.DoesNotExist:
        raise Http404("No such template.") from None


def get_upload_for_user(request: PracticeRequest, upload_id: uuid.UUID | str, *, write: bool = False) -> AudioUpload:
    """A recording of a visible client; only the clinician who records may add to it or finish it."""
    queryset = AudioUpload.objects.filter(practice=request.practice, client__in=visible_clients(request))
    if write:
        queryset = queryset.filter(created_by=request.user)
    try:
        return queryset.get(pk=parse_id(upload_id))
    except AudioUpload.DoesNotExist:
        raise Http404("No such recording.") from None
