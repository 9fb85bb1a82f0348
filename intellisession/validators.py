"""Input bounds shared by the web forms and the API serializers (DRF runs Django validators too)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

EARLIEST_DATE = datetime.date(1900, 1, 1)
# Goals are planned ahead, but not past a lifetime: year 9999 is a typing slip (or a probe), not a plan.
PLAN_YEARS_AHEAD = 50

# Text lengths, in characters. A note section is what a clinician writes (or the model drafts) for one
# heading; longer text is not a note but a probe, and its PDF alone would take a worker minutes.
SECTION_TEXT_MAX = 100_000
ADDENDUM_TEXT_MAX = 20_000
NOTE_INSTRUCTION_MAX = 4000  # the instruction for one note (Generate Note, Regenerate, the API)
INPUT_TEXT_MAX = 100_000  # one typed input to a note request (summary, observations, dictation)

# A scan or photo of a signed consent form: PDF, JPEG or PNG, recognised by content, not by name.
SIGNED_FORM_MAX_BYTES = 10 * 1024 * 1024
SIGNED_FORM_TYPES = {b"%PDF-": "pdf", b"\xff\xd8\xff": "jpeg", b"\x89PNG\r\n\x1a\n": "png"}

DateValidator = Callable[[datetime.date], None]


def _past_date(what: str) -> DateValidator:
    def validate(value: datetime.date) -> None:
        if value > timezone.localdate():
            raise ValidationError(f"The {what} cannot be in the future.", code="future_date")
        if value < EARLIEST_DATE:
            raise ValidationError(f"The {what} cannot be before {EARLIEST_DATE.year}.", code="date_too_early")

    return validate


validate_date_of_service = _past_date("date of service")
validate_date_of_birth = _past_date("date of birth")
validate_consent_date = _past_date("consent date")


def validate_plan_date(value: datetime.date) -> None:
    latest = timezone.localdate().replace(year=timezone.localdate().year + PLAN_YEARS_AHEAD, day=1)
    if not EARLIEST_DATE <= value <= latest:
        raise ValidationError(f"Choose a date between {EARLIEST_DATE.year} and {latest.year}.", code="date_range")


def signed_form_kind(upload: Any) -> str:
    """The kind of a signed-form upload ("pdf", "jpeg", "png") read from its first bytes; refuses others."""
    if upload.size > SIGNED_FORM_MAX_BYTES:
        raise ValidationError(
            f"{upload.name}: the signed form can be at most {SIGNED_FORM_MAX_BYTES // (1024 * 1024)} MB.",
            code="signed_form_too_large",
        )
    head = upload.read(16)
    upload.seek(0)
    for magic, kind in SIGNED_FORM_TYPES.items():
        if head.startswith(magic):
            return kind
    raise ValidationError(f"{upload.name}: the signed form must be a PDF, JPEG or PNG file.", code="signed_form_type")
