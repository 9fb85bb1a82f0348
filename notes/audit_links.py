"""How notes, note requests and templates read in the practice's audit log (intellisession.audit)."""

from __future__ import annotations

from django.urls import reverse

from intellisession.audit import register_object_links
from intellisession.models import Practice
from notes.models import Note, NoteRequest, NoteTemplate
from transcription.models import AudioUpload, Transcription


def notes(practice: Practice, ids: list[str]) -> dict[str, tuple[str, str]]:
    rows = Note.objects.filter(practice=practice, pk__in=ids).select_related("client")
    return {
        str(n.pk): (
            f"{n.style_name} note of {n.client.name}, {n.date_of_service:%b} {n.date_of_service.day}",
            reverse("note-detail", kwargs={"practice_slug": practice.slug, "note_id": n.pk}),
        )
        for n in rows
    }


def requests(practice: Practice, ids: list[str]) -> dict[str, tuple[str, str]]:
    rows = NoteRequest.objects.filter(practice=practice, pk__in=ids).select_related("client")
    return {
        str(r.pk): (
            f"Note request for {r.client.name}",
            reverse("note-request-detail", kwargs={"practice_slug": practice.slug, "request_id": r.pk}),
        )
        for r in rows
    }


def templates(practice: Practice, ids: list[str]) -> dict[str, tuple[str, str]]:
    rows = NoteTemplate.objects.filter(practice=practice, pk__in=ids)
    return {
        str(t.pk): (t.name, reverse("note-template-edit", kwargs={"practice_slug": practice.slug, "template_id": t.pk}))
        for t in rows
    }


def recordings(practice: Practice, ids: list[str]) -> dict[str, tuple[str, str]]:
    """A transcription reads as the note request it belongs to."""
    rows = Transcription.objects.filter(practice=practice, pk__in=ids).prefetch_related("note_inputs__request__client")
    found = {}
    for t in rows:
        request = next((i.request for i in t.note_inputs.all()), None)
        if request is not None:
            url = reverse("note-request-detail", kwargs={"practice_slug": practice.slug, "request_id": request.pk})
            found[str(t.pk)] = (f"Recording for {request.client.name}", url)
    return found


def uploads(practice: Practice, ids: list[str]) -> dict[str, tuple[str, str]]:
    rows = AudioUpload.objects.filter(practice=practice, pk__in=ids).select_related("client")
    return {
        str(u.pk): (
            f"Recording of {u.client.name}",
            reverse("client-detail", kwargs={"practice_slug": practice.slug, "client_id": u.client_id}),
        )
        for u in rows
    }


def register() -> None:
    register_object_links("note", "Note", notes)
    register_object_links("noterequest", "Note request", requests)
    register_object_links("notetemplate", "Template", templates)
    register_object_links("transcription", "Recording", recordings)
    register_object_links("audioupload", "Recording upload", uploads)
