"""Transcription reports back here; notes moves its requests along."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from notes.services.requests import note_request_transcription_finished, note_request_transcription_started
from transcription.models import Transcription
from transcription.signals import transcription_finished, transcription_started


@receiver(transcription_started)
def on_transcription_started(sender: type[Transcription], transcription: Transcription, **kwargs: Any) -> None:
    note_request_transcription_started(transcription)


@receiver(transcription_finished)
def on_transcription_finished(sender: type[Transcription], transcription: Transcription, **kwargs: Any) -> None:
    note_request_transcription_finished(transcription)
