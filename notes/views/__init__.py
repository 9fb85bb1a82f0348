"""Clinician pages under /p/<practice_slug>/: note requests, note review, recordings, templates
and note settings."""
