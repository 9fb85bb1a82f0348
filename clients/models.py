"""Clients of a practice."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from intellisession.fields import EncryptedCharField, EncryptedDateField, EncryptedTextField
from intellisession.models import Practice, PracticeOwned, private_storage


class Client(PracticeOwned):
    # Named reverse accessor (``practice.clients``): the API scopes caseloads through it.
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="clients")
    name = EncryptedCharField(max_length=200)
    date_of_birth = EncryptedDateField(null=True, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    external_id = EncryptedCharField(max_length=100, help_text="The client's id in the practice's EHR.")
    medications = EncryptedTextField(help_text="Current medications, one per line; helps transcription spell them.")
    assigned_clinicians = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="caseload")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Client {self.pk}"


class ConsentScope(models.TextChoices):
    AUDIO_RECORDING = "audio_recording", "Audio recording of sessions for note-taking"


class ConsentMethod(models.TextChoices):
    SIGNED_FORM = "signed_form", "Signed form"
    VERBAL = "verbal", "Verbal, in person"
    TELEHEALTH = "telehealth", "Verbal, on a telehealth call"
    ELECTRONIC = "electronic", "Electronic signature (EHR or portal)"


def signed_form_path(instance: RecordingConsent, filename: str) -> str:
    # Random names only: the file's own name (often the client's) never reaches storage.
    return f"consents/{instance.practice_id}/{uuid.uuid4().hex}"


class RecordingConsent(PracticeOwned):
    """A client's consent to have sessions recorded: when, how it was given, who recorded it, and
    the signed form where there is one (kept in private storage)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="consents")
    scope = models.CharField(max_length=40, choices=ConsentScope.choices, default=ConsentScope.AUDIO_RECORDING)
    given_on = models.DateField()
    method = models.CharField(max_length=20, choices=ConsentMethod.choices, default=ConsentMethod.SIGNED_FORM)
    signed_form = models.FileField(storage=private_storage, upload_to=signed_form_path, blank=True, max_length=300)
    signed_form_kind = models.CharField(max_length=10, blank=True, help_text="pdf, jpeg or png, read from the content.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-given_on", "-created_at"]

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class GoalStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    MET = "met", "Met"
    DISCONTINUED = "discontinued", "Discontinued"


class TreatmentGoal(PracticeOwned):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="goals")
    description = EncryptedTextField()
    target = EncryptedTextField(help_text="How progress is measured, e.g. 'journal 5 evenings a week'.")
    status = models.CharField(max_length=20, choices=GoalStatus.choices, default=GoalStatus.ACTIVE)
    start_date = models.DateField(null=True, blank=True)
    target_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
