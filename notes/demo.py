"""The demo practice: idempotent, so `seed_demo` can run on every start."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction

from clients.models import Client, RecordingConsent, TreatmentGoal
from intellisession.models import Membership, Practice, Role, User
from notes.models import Note
from notes.services.review import note_import

DEMO_SLUG = "demo"
DEMO_ADMIN = {"email": "admin@demo.intellisession.local", "password": "demo-admin-Harbor-2026"}
DEMO_CLINICIAN = {"email": "clinician@demo.intellisession.local", "password": "demo-clinician-Harbor-2026"}
DEMO_CLIENTS = [
    {"name": "Sam Rivera", "date_of_birth": datetime.date(1986, 4, 12), "pronouns": "he/him", "external_id": "HC-1001"},
    {
        "name": "Jordan Lee",
        "date_of_birth": datetime.date(1993, 9, 3),
        "pronouns": "they/them",
        "external_id": "HC-1002",
    },
    {
        "name": "Maria Okafor",
        "date_of_birth": datetime.date(1979, 1, 27),
        "pronouns": "she/her",
        "external_id": "HC-1003",
    },
]


PRIOR_NOTES = [
    (
        datetime.date(2026, 10, 27),
        "Subjective: Sam reported low mood and poor sleep as the anniversary of his father's death approaches. "
        "He takes sertraline 50 mg daily, prescribed by Dr. Alvarez. "
        "Assessment: grief reaction with depressive symptoms; no safety concerns. "
        "Plan: continue weekly sessions; discuss a gradual return to work.",
    ),
    (
        datetime.date(2026, 11, 3),
        "Subjective: Sam said the approaching anniversary makes him withdraw from his brother. "
        "He wants to return to work part time at the library. "
        "Plan: Sam will email his manager about a phased return; continue sertraline as prescribed.",
    ),
]
GOALS = [
    ("Return to work part time", "Working three mornings a week by the end of the year"),
    ("Process grief after his father's death", "Names and shares one memory of his father each week"),
]


def _chart(client: Client, clinician: User) -> None:
    """Consent on file, treatment goals and signed prior notes, so notes have context."""
    if not RecordingConsent.objects.filter(client=client, revoked_at__isnull=True).exists():
        RecordingConsent.objects.create(
            practice=client.practice, client=client, given_on=datetime.date(2026, 10, 20), recorded_by=clinician
        )
    if client.external_id != "HC-1001" or Note.objects.filter(client=client, imported=True).exists():
        return
    client.medications = "sertraline 50 mg"
    client.save(update_fields=["medications"])
    for description, target in GOALS:
        TreatmentGoal.objects.create(
            practice=client.practice,
            client=client,
            description=description,
            target=target,
            start_date=datetime.date(2026, 10, 20),
        )
    for date_of_service, text in PRIOR_NOTES:
        note_import(
            practice=client.practice, client=client, author=clinician, text=text, date_of_service=date_of_service
        )


def _user(email: str, password: str, full_name: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, full_name=full_name)
    elif not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def seed_demo() -> dict[str, Any]:
    practice, _ = Practice.objects.get_or_create(slug=DEMO_SLUG, defaults={"name": "Harbor Counseling (demo)"})
    admin = _user(DEMO_ADMIN["email"], DEMO_ADMIN["password"], "Dana Whitfield")
    clinician = _user(DEMO_CLINICIAN["email"], DEMO_CLINICIAN["password"], "Dr. Priya Natarajan")
    Membership.objects.get_or_create(user=admin, practice=practice, defaults={"role": Role.ADMIN})
    Membership.objects.get_or_create(user=clinician, practice=practice, defaults={"role": Role.CLINICIAN})
    clients = []
    for fields in DEMO_CLIENTS:
        # Client identifiers are encrypted, so the match happens here, not in SQL.
        client = next((c for c in practice.clients.all() if c.external_id == fields["external_id"]), None)
        if client is None:
            client = Client.objects.create(practice=practice, **fields)
        client.assigned_clinicians.add(clinician)
        _chart(client, clinician)
        clients.append(client)
    return {
        "practice": practice.slug,
        "admin": dict(DEMO_ADMIN),
        "clinician": dict(DEMO_CLINICIAN),
        "clients": [{"id": str(c.pk), "name": c.name} for c in clients],
    }
