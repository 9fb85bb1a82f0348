"""Re-encrypt every encrypted column, and stored MFA secrets, with the first FIELD_ENCRYPTION_KEYS key.

Works on the stored ciphertext (MultiFernet.rotate), so values are never
re-encrypted twice, model ``save()`` and signals do not run, and a row whose
value no key opens is left alone and reported by id. Models are found through
the app registry, so fields added later are covered without changes here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from allauth.mfa.models import Authenticator
from cryptography.fernet import InvalidToken, MultiFernet
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction
from django.db.models.functions import Cast
from django.template.defaultfilters import pluralize

from intellisession.auth import FERNET_PREFIX
from intellisession.fields import EncryptedFieldMixin, fernet


@dataclass
class Tally:
    rotated: int = 0
    failed: list[str] = field(default_factory=list)


def encrypted_columns() -> list[tuple[type[models.Model], list[models.Field[Any, Any]]]]:
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedFieldMixin)]
        if fields:
            found.append((model, fields))
    return found


def _rotate_token(keys: MultiFernet, token: str) -> str:
    return keys.rotate(token.encode()).decode()


def _rotate_json(keys: MultiFernet, value: Any) -> Any:
    # The JSON field encrypts each leaf value and keeps the structure.
    if isinstance(value, dict):
        return {k: _rotate_json(keys, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rotate_json(keys, v) for v in value]
    return _rotate_token(keys, str(value))


def _raw_values(model: type[models.Model], column: models.Field[Any, Any], batch: int) -> Any:
    # Cast to the plain type so the value arrives as stored, not decrypted.
    plain: models.Field[Any, Any] = models.JSONField() if isinstance(column, models.JSONField) else models.TextField()
    return (
        model._default_manager.exclude(**{f"{column.attname}__isnull": True})
        .annotate(_raw=Cast(column.attname, output_field=plain))
        .values_list("pk", "_raw")
        .order_by("pk")
        .iterator(chunk_size=batch)
    )


def rotate_column(model: type[models.Model], column: models.Field[Any, Any], keys: MultiFernet, batch: int) -> Tally:
    tally = Tally()
    is_json = isinstance(column, models.JSONField)
    for pk, raw in _raw_values(model, column, batch):
        try:
            new = _rotate_json(keys, raw) if is_json else _rotate_token(keys, raw)
        except InvalidToken:
            tally.failed.append(str(pk))
            continue
        value: models.Expression = (
            Cast(models.Value(json.dumps(new), output_field=models.TextField()), output_field=models.JSONField())
            if is_json
            else models.Value(new)
        )
        model._default_manager.filter(pk=pk).update(**{column.attname: value})
        tally.rotated += 1
    return tally


def rotate_mfa_secrets(keys: MultiFernet) -> Tally:
    """allauth keeps TOTP secrets and recovery-code seeds in a JSON column, encrypted by our MFA adapter."""
    tally = Tally()
    for authenticator in Authenticator.objects.all().iterator():
        data = dict(authenticator.data)
        try:
            for key, value in data.items():
                if isinstance(value, str) and value.startswith(FERNET_PREFIX):
                    data[key] = FERNET_PREFIX + _rotate_token(keys, value[len(FERNET_PREFIX) :])
        except InvalidToken:
            tally.failed.append(str(authenticator.pk))
            continue
        Authenticator.objects.filter(pk=authenticator.pk).update(data=data)
        tally.rotated += 1
    return tally


class Command(BaseCommand):
    help = "Re-encrypt all encrypted data with the first key of FIELD_ENCRYPTION_KEYS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        keys = fernet()
        failures = 0
        for model, columns in encrypted_columns():
            for column in columns:
                with transaction.atomic():
                    tally = rotate_column(model, column, keys, batch_size)
                failures += self._report(f"{model._meta.label}.{column.name}", tally)
        with transaction.atomic():
            failures += self._report("mfa.Authenticator.data", rotate_mfa_secrets(keys))
        if failures:
            raise CommandError(
                f"{failures} value{pluralize(failures)} could not be decrypted with any key and "
                f"{pluralize(failures, 'was,were')} left unchanged."
            )

    def _report(self, name: str, tally: Tally) -> int:
        self.stdout.write(f"{name}: {tally.rotated} rotated")
        if tally.failed:
            shown = ", ".join(tally.failed[:20])
            self.stderr.write(f"{name}: {len(tally.failed)} not decryptable (ids: {shown})")
        return len(tally.failed)
