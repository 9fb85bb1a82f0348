"""Signals sent when a transcription starts and when it finishes (done, no speech or
failed), so that the app that asked for it can move its own job along without
this app knowing about it."""

from django.dispatch import Signal

# Sent with sender=Transcription, transcription=<instance>, inside the transaction that changed it.
transcription_started = Signal()
transcription_finished = Signal()
