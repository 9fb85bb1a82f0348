"""Input bounds shared by the web forms and the API serializers (DRF runs Django validators too)."""

from __future__ import annotations

import datetime
from collections.abc import Callable

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
