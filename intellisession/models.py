"""Users, practices (the tenant), memberships with roles, and the audit log."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.files.storage import Storage, storages
from django.db import models
from django.utils import timezone
from django.utils.crypto import constant_time_compare


def private_storage() -> Storage:
    """Where recordings and signed consent forms are kept: never served, never public."""
    return storages["private"]


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    def __str__(self) -> str:
        return self.full_name or self.email


class TranscriptRetention(models.TextChoices):
    ON_SIGN = "on_sign", "Delete the transcript when its note is signed"
    AFTER_DAYS = "after_days", "Delete transcripts after a number of days"
    KEEP = "keep", "Keep transcripts"


class Practice(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    share_caseload = models.BooleanField(
        default=False, help_text="Clinicians see every client of the practice, not only their own caseload."
    )
    require_mfa = models.BooleanField(
        default=False, help_text="Members must set up an authenticator app before they can use the practice."
    )
    default_style = models.CharField(
        max_length=60, default="soap", help_text='A built-in style key ("soap", "dap", ...) or "template:<uuid>".'
    )
    transcript_retention = models.CharField(
        max_length=20, choices=TranscriptRetention.choices, default=TranscriptRetention.KEEP
    )
    transcript_retention_days = models.PositiveIntegerField(
        default=30, help_text="Used when transcripts are deleted after a number of days."
    )
    share_client_instructions = models.BooleanField(
        default=False,
        help_text="A client's standing instruction applies to every clinician's notes for that "
        "client, not only to the notes of the clinician who set it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(transcript_retention_days__gte=1), name="retention_days_at_least_one"
            )
        ]

    def __str__(self) -> str:
        return self.name


class PracticeOwned(models.Model):
    """A tenant-owned row: a UUID primary key and the practice it belongs to.

    The practice is non-null and indexed (a foreign key's default) even where it could be derived,
    so every query can filter on it. A subclass overrides ``practice`` where it deletes differently or
    needs a reverse accessor."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True


class Role(models.TextChoices):
    ADMIN = "admin", "Practice admin"
    CLINICIAN = "clinician", "Clinician"
    READ_ONLY = "read_only", "Read-only"


class Membership(PracticeOwned):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CLINICIAN)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "practice"], name="one_membership_per_practice")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.practice_id} as {self.role}"

    @property
    def can_write(self) -> bool:
        return self.role in (Role.ADMIN, Role.CLINICIAN)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class Invitation(PracticeOwned):
    """A single-use, expiring invitation to join a practice. Only a hash of the token is stored."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CLINICIAN)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["practice", "email"])]

    def __str__(self) -> str:
        return f"Invitation {self.pk}"

    @property
    def status(self) -> str:
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"

    @property
    def is_pending(self) -> bool:
        return self.status == "pending"


class ApiToken(models.Model):
    """An API token. Only a SHA-256 of the key is stored; its first characters name it in lists.

    A token ends when it expires, is revoked, or its user's password changes (``auth_hash``
    is the password fingerprint Django's sessions use, taken when the token was issued).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    prefix = models.CharField(max_length=12, help_text="The first characters of the key, to recognise it.")
    key_hash = models.CharField(max_length=64, unique=True)
    auth_hash = models.CharField(max_length=128)
    second_factor = models.BooleanField(default=False, help_text="Issued with an authenticator code.")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoke_reason = models.CharField(max_length=30, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"API token {self.prefix}…"

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        if not constant_time_compare(self.auth_hash, self.user.get_session_auth_hash()):
            return "password_changed"
        return "active"

    @property
    def is_active(self) -> bool:
        return self.status == "active"


class AuditEvent(models.Model):
    """Append-only record of who did what to which object. Never PHI text.

    A database trigger (see the migration) refuses UPDATE and DELETE.
    """

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    practice = models.ForeignKey(Practice, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    action = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True, help_text="Ids, counts and codes only.")

    class Meta:
        indexes = [models.Index(fields=["practice", "-created_at"])]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise RuntimeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RuntimeError("Audit events are append-only.")
