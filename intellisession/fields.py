"""Encrypted model fields for PHI (client identifiers, transcripts, note text, inputs).

Built on django-fernet-encrypted-fields, with keys of our own rather than ones
derived from SECRET_KEY: ``FIELD_ENCRYPTION_KEYS`` is a list of Fernet keys, the
first encrypts and all decrypt, so a key is rotated by putting a new one first
and running ``manage.py rotate_encryption_keys``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from encrypted_fields import fields as encrypted

EncryptedFieldMixin = encrypted.EncryptedFieldMixin


@lru_cache(maxsize=4)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def fernet() -> MultiFernet:
    """The current keys, looked up on every use so a changed key list applies at once."""
    return _multi_fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


class _OwnKeys:
    @property
    def f(self) -> MultiFernet:
        return fernet()


if TYPE_CHECKING:
    # To the type checker they are the plain fields whose values they hold.
    EncryptedTextField = models.TextField
    EncryptedCharField = models.CharField
    EncryptedDateField = models.DateField
    EncryptedJSONField = models.JSONField
else:

    class EncryptedTextField(_OwnKeys, encrypted.EncryptedTextField):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("blank", True)
            kwargs.setdefault("null", True)
            super().__init__(*args, **kwargs)

    class EncryptedCharField(_OwnKeys, encrypted.EncryptedCharField):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("blank", True)
            kwargs.setdefault("null", True)
            super().__init__(*args, **kwargs)

    class EncryptedDateField(_OwnKeys, encrypted.EncryptedDateField):
        pass

    class EncryptedJSONField(_OwnKeys, encrypted.EncryptedTextField):
        """The whole value as one encrypted JSON document. (The library's own JSON field encrypts
        each leaf as a string, which would turn False into the truthy "False".)"""

        def get_prep_value(self, value: Any) -> str | None:
            if value is None:
                return None
            return self.f.encrypt(json.dumps(value, cls=DjangoJSONEncoder).encode()).decode()

        def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
            if value is None:
                return None
            return json.loads(self.f.decrypt(value.encode()).decode())

        def to_python(self, value: Any) -> Any:
            return value

        def value_to_string(self, obj: Any) -> str:
            return json.dumps(self.value_from_object(obj), cls=DjangoJSONEncoder)
