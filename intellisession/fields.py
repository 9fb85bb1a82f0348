"""Encrypted model fields for PHI (client identifiers, transcripts, note text, inputs).

Built on django-fernet-encrypted-fields, with keys of our own rather than ones
derived from SECRET_KEY: ``FIELD_ENCRYPTION_KEYS`` is a list of Fernet keys, the
first encrypts and all decrypt, so a key is rotated by putting a new one first
and running ``manage.py rotate_encryption_keys``.
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.utils.functional import cached_property
from encrypted_fields import fields as encrypted


class _OwnKeys:
    @cached_property
    def f(self) -> MultiFernet:
        return MultiFernet([Fernet(key) for key in settings.FIELD_ENCRYPTION_KEYS])


class EncryptedTextField(_OwnKeys, encrypted.EncryptedTextField):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("blank", True)
        kwargs.setdefault("null", True)
        super().__init__(*args, **kwargs)


class EncryptedCharField(_OwnKeys, encrypted.EncryptedCharField):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("blank", True)
        kwargs.setdefault("null", True)
        super().__init__(*args, **kwargs)


class EncryptedDateField(_OwnKeys, encrypted.EncryptedDateField):  # type: ignore[misc]
    pass


class EncryptedJSONField(_OwnKeys, encrypted.EncryptedJSONField):  # type: ignore[misc]
    pass
