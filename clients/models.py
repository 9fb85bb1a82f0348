"""Clients of a practice."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from intellisession.fields import EncryptedCharField, EncryptedDateField
from intellisession.models import Practice


class Client(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="clients")
    name = EncryptedCharField(max_length=200)
    date_of_birth = EncryptedDateField(null=True, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    external_id = EncryptedCharField(max_length=100, help_text="The client's id in the practice's EHR.")
    assigned_clinicians = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="caseload")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"Client {self.pk}"
