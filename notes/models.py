"""Templates, custom instructions, note requests (the job) and notes.

Note text, inputs and instructions are PHI and are encrypted at rest. A signed
note is immutable: its content hash is stored and later changes go in addenda.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from clients.models import Client, TreatmentGoal
from intellisession.fields import EncryptedJSONField, EncryptedTextField
from intellisession.models import Practice, PracticeOwned
from notes.document import NoteDocument
from transcription.models import Transcription


class NoteTemplate(PracticeOwned):
    """A practice's own style: a built-in style copied, renamed, with sections changed."""

    name = models.CharField(max_length=120)
    based_on = models.CharField(max_length=40, blank=True, help_text="Key of the built-in style it was copied from.")
    sections = models.JSONField(default=list, help_text="[{key, title, instructions, role}] in order.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    is_archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class InstructionLevel(models.TextChoices):
    GENERAL = "general", "General (all my notes)"
    TEMPLATE = "template", "For one template or style"
    CLIENT = "client", "For one client"


class CustomInstruction(PracticeOwned):
    """Standing instructions for note writing, combined general -> template -> client."""

    level = models.CharField(max_length=20, choices=InstructionLevel.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="The clinician whose notes it applies to.",
    )
    style_key = models.CharField(max_length=60, blank=True, help_text="Built-in style key or template:<id>.")
    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    text = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]


class NotePreference(models.Model):
    """A clinician's preferred style in one practice."""

    id = models.BigAutoField(primary_key=True)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    preferred_style = models.CharField(max_length=60, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["practice", "user"], name="one_preference_per_member")]


class RequestStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    TRANSCRIBING = "transcribing", "Transcribing"
    GENERATING = "generating", "Writing the note"
    READY = "ready", "Ready"
    NO_SPEECH = "no_speech", "No speech found"
    FAILED = "failed", "Failed"


REQUEST_FINISHED = (RequestStatus.READY, RequestStatus.NO_SPEECH, RequestStatus.FAILED)


class NoteRequest(PracticeOwned):
    """The job behind one note: its inputs, its state as the clinician sees it, its timings."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="note_requests")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    style_key = models.CharField(max_length=60, help_text="Built-in style key or template:<id>.")
    date_of_service = models.DateField()
    summary_only = models.BooleanField(default=False)
    instruction = EncryptedTextField(help_text="An instruction for this note only.")
    status = models.CharField(max_length=20, choices=RequestStatus.choices, default=RequestStatus.QUEUED)
    error = models.CharField(max_length=300, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    timings = models.JSONField(default=dict, blank=True)
    regenerates = models.ForeignKey(
        "Note",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="A draft this request rewrites in place.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "updated_at"])]

    def __str__(self) -> str:
        return f"NoteRequest {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in REQUEST_FINISHED


class NoteStretch(PracticeOwned):
    """One stretch of a long session's transcript in the first of two stages of note writing: the
    facts the model found in it (PHI, encrypted), kept until the note is composed so a worker that
    dies mid-way costs only its own stretch."""

    request = models.ForeignKey(NoteRequest, on_delete=models.CASCADE, related_name="stretches")
    index = models.PositiveSmallIntegerField()
    first_segment = models.PositiveIntegerField()
    stop_segment = models.PositiveIntegerField()
    facts = EncryptedJSONField(default=list, help_text="[{text, cites}] as the model gave them.")
    done = models.BooleanField(default=False)
    seconds = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["request", "index"]
        constraints = [models.UniqueConstraint(fields=["request", "index"], name="note_stretch_unique_index")]


class InputKind(models.TextChoices):
    AUDIO = "audio", "Audio recording"
    SESSION_SUMMARY = "session_summary", "Session summary"
    PRE_SESSION = "pre_session", "Pre-session observations"
    POST_SESSION = "post_session", "Post-session reflections"
    DICTATION = "dictation", "Dictation transcript"


class NoteInput(PracticeOwned):
    request = models.ForeignKey(NoteRequest, on_delete=models.CASCADE, related_name="inputs")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=20, choices=InputKind.choices)
    text = EncryptedTextField()
    # A foreign key, not one-to-one: regenerating a note reuses the transcript.
    transcription = models.ForeignKey(
        Transcription, null=True, blank=True, on_delete=models.SET_NULL, related_name="note_inputs"
    )

    class Meta:
        ordering = ["position"]


class NoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"


class Note(PracticeOwned):
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="notes")
    request = models.OneToOneField(NoteRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="note")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    style_key = models.CharField(max_length=60)
    style_name = models.CharField(max_length=120)
    date_of_service = models.DateField()
    status = models.CharField(max_length=20, choices=NoteStatus.choices, default=NoteStatus.DRAFT)
    engine = models.CharField(max_length=20, blank=True, help_text="llm, offline or imported.")
    body = EncryptedJSONField(default=dict, help_text="The note document (notes.document.NoteDocument), versioned.")
    notice = models.TextField(blank=True, help_text="E.g. that this is an offline draft.")
    imported = models.BooleanField(default=False, help_text="A historical note brought from another system.")
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    content_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date_of_service", "-created_at"]
        indexes = [models.Index(fields=["practice", "client", "-date_of_service"])]

    def __str__(self) -> str:
        return f"Note {self.pk} ({self.status})"

    @property
    def is_signed(self) -> bool:
        return self.status == NoteStatus.SIGNED

    @property
    def document(self) -> NoteDocument:
        """The body as typed models, read once per instance; save changes with `set_document`."""
        cached: NoteDocument | None = self.__dict__.get("_document")
        if cached is None:
            cached = NoteDocument.load(self.body) if self.body else NoteDocument()
            self.__dict__["_document"] = cached
        return cached

    def set_document(self, document: NoteDocument) -> None:
        self.body = document.dump()
        self.__dict__["_document"] = document

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        self.__dict__.pop("_document", None)
        super().refresh_from_db(*args, **kwargs)

    def plain_sections(self) -> list[dict[str, str]]:
        return self.document.plain_sections()


class VersionReason(models.TextChoices):
    REGENERATED = "regenerated", "Before regenerating"
    RESTORED = "restored", "Before restoring an earlier version"


class NoteVersion(PracticeOwned):
    """A draft's earlier text, kept whenever it is replaced, so no edit is ever lost before signing."""

    note = models.ForeignKey("Note", on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    reason = models.CharField(max_length=20, choices=VersionReason.choices)
    body = EncryptedJSONField(default=dict)
    style_key = models.CharField(max_length=60)
    style_name = models.CharField(max_length=120)
    engine = models.CharField(max_length=20, blank=True)
    notice = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["note", "number"], name="one_version_number_per_note")]

    def __str__(self) -> str:
        return f"Note {self.note_id} version {self.number}"

    @property
    def document(self) -> NoteDocument:
        return NoteDocument.load(self.body) if self.body else NoteDocument()


class GoalProgressEntry(models.Model):
    """Progress on one treatment goal as recorded by one note, for the chart across sessions."""

    id = models.BigAutoField(primary_key=True)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="goal_progress")
    goal = models.ForeignKey(TreatmentGoal, on_delete=models.CASCADE, related_name="progress")
    status = models.CharField(max_length=20)
    evidence = EncryptedTextField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["note", "goal"], name="one_progress_per_goal_per_note")]


class Addendum(PracticeOwned):
    note = models.ForeignKey(Note, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
