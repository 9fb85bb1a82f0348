"""A recording's transcription job, its chunks and its segments.

The job state is a column users see (through the note request that owns the
recording). Workers claim a chunk with a conditional UPDATE, so a redelivered
message is harmless; ``attempts`` stops a recording that keeps killing its
worker.
"""

from __future__ import annotations

import uuid

from django.db import models

from intellisession.fields import EncryptedJSONField, EncryptedTextField
from intellisession.models import Practice, PracticeOwned, private_storage


class TranscriptionStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Transcribing"
    DONE = "done", "Done"
    NO_SPEECH = "no_speech", "No speech found"
    FAILED = "failed", "Failed"


FINISHED = (TranscriptionStatus.DONE, TranscriptionStatus.NO_SPEECH, TranscriptionStatus.FAILED)


def audio_upload_path(instance: Transcription, filename: str) -> str:
    # Random names only: the client's or clinician's file name never reaches storage.
    return f"audio/{instance.practice_id}/{uuid.uuid4().hex}"


class Transcription(PracticeOwned):
    status = models.CharField(max_length=20, choices=TranscriptionStatus.choices, default=TranscriptionStatus.QUEUED)
    error = models.CharField(max_length=300, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent of the recording transcribed.")
    audio = models.FileField(storage=private_storage, upload_to=audio_upload_path, blank=True, max_length=300)
    audio_format = models.CharField(max_length=10, blank=True)
    audio_bytes = models.BigIntegerField(default=0)
    duration = models.FloatField(default=0.0, help_text="Seconds of audio.")
    audio_deleted_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(max_length=10, blank=True)
    # A clinician may name a speaker after the client, so the names are encrypted like the text.
    speaker_names = EncryptedJSONField(default=dict, blank=True, help_text="Label -> display name, e.g. Therapist.")
    priming_terms = EncryptedTextField(help_text="Chart terms given to Whisper, one per line.")
    # A browser recording transcribed while it was recorded: its first ``live_until`` seconds came
    # as finished chunks, and the stored audio is only the rest (its times are the recording's).
    live_until = models.FloatField(default=0.0, help_text="Seconds transcribed live before the stored audio.")
    attempts = models.PositiveSmallIntegerField(default=0)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    transcription_seconds = models.FloatField(null=True, blank=True, help_text="Wall time from claim to finish.")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"]), models.Index(fields=["audio_deleted_at"])]

    def __str__(self) -> str:
        return f"Transcription {self.pk} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    def speaker_name(self, label: str) -> str:
        """What the clinician calls a speaker ("Therapist"), or its label ("Speaker 1")."""
        return str((self.speaker_names or {}).get(label) or label)


class ChunkStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class TranscriptionChunk(models.Model):
    """One stretch of a recording, transcribed by one task so chunks run on several workers."""

    id = models.BigAutoField(primary_key=True)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    transcription = models.ForeignKey(Transcription, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    start = models.FloatField()
    end = models.FloatField()
    status = models.CharField(max_length=20, choices=ChunkStatus.choices, default=ChunkStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_by = models.CharField(max_length=200, blank=True, help_text="host:pid of the worker holding it.")
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    speech_found = models.BooleanField(default=False)
    done_seconds = models.FloatField(default=0.0, help_text="Seconds of this chunk transcribed so far.")
    # Voice features per segment (biometric, so encrypted), pooled across chunks to label speakers.
    voice_prints = EncryptedJSONField(default=list, blank=True)

    class Meta:
        ordering = ["index"]
        constraints = [models.UniqueConstraint(fields=["transcription", "index"], name="one_chunk_per_index")]


class TranscriptSegment(models.Model):
    id = models.BigAutoField(primary_key=True)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    transcription = models.ForeignKey(Transcription, on_delete=models.CASCADE, related_name="segments")
    chunk_index = models.PositiveIntegerField(default=0)
    start = models.FloatField()
    end = models.FloatField()
    speaker = models.CharField(max_length=40, blank=True)
    text = EncryptedTextField()

    class Meta:
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["transcription", "start"])]


class UploadStatus(models.TextChoices):
    OPEN = "open", "Recording"
    FINISHED = "finished", "Finished"
    ABANDONED = "abandoned", "Abandoned"


class AudioUpload(PracticeOwned):
    """A browser recording arriving in numbered parts while the session is still being recorded.

    ``dictation`` marks the clinician's own spoken summary, recorded from an input's Audio tab: it
    needs no client recording consent and can only reach a note as a dictation, never as the
    session's recording. Parts live in private storage under ``uploads/<practice>/<upload>/<seq>`` until the
    recording is turned into a note request, discarded, or swept for going quiet."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey("intellisession.User", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=UploadStatus.choices, default=UploadStatus.OPEN)
    dictation = models.BooleanField(
        default=False, help_text="The clinician's own voice only, as they confirmed: no client consent needed."
    )
    next_seq = models.PositiveIntegerField(default=0, help_text="The part number the server expects next.")
    bytes = models.BigIntegerField(default=0)
    last_chunk_at = models.DateTimeField(null=True, blank=True)
    parts_deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Live transcription (``transcription.services.live``): the WebM header (no audio in it), where
    # the audio still held begins (part ``live_seq`` from byte ``live_skip``, a Cluster start), how
    # far the recording is transcribed and how much of it has arrived.
    priming_terms = EncryptedTextField(help_text="Chart terms given to Whisper, one per line.")
    live_header = models.BinaryField(default=b"", blank=True)
    live_seq = models.PositiveIntegerField(default=0)
    live_skip = models.PositiveIntegerField(default=0)
    live_resync = models.BooleanField(default=False, help_text="Held audio begins mid-cluster (parts swept).")
    live_from = models.FloatField(default=0.0, help_text="Seconds transcribed live.")
    live_recorded = models.FloatField(default=0.0, help_text="Seconds of audio received.")
    live_lost = models.FloatField(default=0.0, help_text="Seconds deleted by the age bound untranscribed.")
    live_windows = models.PositiveIntegerField(default=0)
    live_stopped = models.BooleanField(default=False, help_text="Live transcription gave up; Stop does the rest.")
    live_claimed_by = models.CharField(max_length=200, blank=True)
    live_heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["parts_deleted_at", "last_chunk_at"])]

    def __str__(self) -> str:
        return f"AudioUpload {self.pk} ({self.status})"

    def part_name(self, seq: int) -> str:
        return f"uploads/{self.practice_id}/{self.pk}/{seq}"


class LiveWindow(models.Model):
    """A stretch of a browser recording transcribed while it was still being recorded.

    Its audio is deleted once it is saved; at Stop the windows become the finished chunks of the
    recording's transcription (segments and voice prints), so only the rest is transcribed then."""

    id = models.BigAutoField(primary_key=True)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    upload = models.ForeignKey(AudioUpload, on_delete=models.CASCADE, related_name="live_windows_set")
    index = models.PositiveIntegerField()
    start = models.FloatField()
    end = models.FloatField()
    speech_found = models.BooleanField(default=False)
    language = models.CharField(max_length=10, blank=True)
    # [[start, end, text], ...]: client speech, so encrypted like TranscriptSegment.text.
    segments = EncryptedJSONField(default=list, blank=True)
    voice_prints = EncryptedJSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["index"]
        constraints = [models.UniqueConstraint(fields=["upload", "index"], name="one_live_window_per_index")]
