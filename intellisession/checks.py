"""System checks for the settings our security depends on."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.contrib import admin
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from intellisession import devservices
from intellisession.admin import PhiSafeModelAdmin, phi_field_names


@register(Tags.security)
def check_encryption_keys(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for index, key in enumerate(settings.FIELD_ENCRYPTION_KEYS):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            errors.append(
                Error(
                    f"FIELD_ENCRYPTION_KEYS entry {index + 1} is not a Fernet key.",
                    hint="Generate one with: python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'",
                    id="intellisession.E001",
                )
            )
    return errors


@register(Tags.security, deploy=True)
def check_secrets_from_environment(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    # Development keeps generated secrets in DATA_DIR; on several machines each would have its own.
    warnings: list[CheckMessage] = []
    if devservices.uses_development_field_key(settings.DATA_DIR, settings.FIELD_ENCRYPTION_KEYS):
        warnings.append(
            Warning(
                "FIELD_ENCRYPTION_KEYS is not set; PHI is encrypted with a key kept in DATA_DIR.",
                hint="Set FIELD_ENCRYPTION_KEYS in the environment and keep a copy off the server.",
                id="intellisession.W001",
            )
        )
    if devservices.is_development_secret(settings.DATA_DIR, settings.SECRET_KEY):
        warnings.append(
            Warning(
                "SECRET_KEY is not set; a generated key in DATA_DIR is used.",
                hint="Set SECRET_KEY in the environment.",
                id="intellisession.W002",
            )
        )
    if settings.SESSION_IDLE_TIMEOUT > 15 * 60:
        warnings.append(Warning("SESSION_IDLE_TIMEOUT is above 15 minutes.", id="intellisession.W003"))
    return warnings


@register(Tags.security)
def check_admin_hides_phi(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every admin of a model with encrypted fields must hide them from operators by default."""
    errors: list[CheckMessage] = []
    for model, model_admin in admin.site._registry.items():
        if phi_field_names(model) and not isinstance(model_admin, PhiSafeModelAdmin):
            errors.append(
                Error(
                    f"The admin of {model._meta.label} shows encrypted (PHI) fields to operators.",
                    hint="Base it on intellisession.admin.PhiSafeModelAdmin.",
                    obj=model_admin,
                    id="intellisession.E002",
                )
            )
    return errors
