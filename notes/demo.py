"""The demo practice: idempotent, so `seed_demo` can run on every start."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction

from clients.models import Client
from intellisession.models import Membership, Practice, Role, User

DEMO_SLUG = "demo"
DEMO_ADMIN = {"email": "admin@demo.intellisession.local", "password": "demo-admin-Harbor-2026"}
DEMO_CLINICIAN = {"email": "clinician@demo.intellisession.local", "password": "demo-clinician-Harbor-2026"}
DEMO_CLIENTS = [
    {"name": "Sam Rivera", "date_of_birth": datetime.date(1986, 4, 12), "pronouns": "he/him",
     "external_id": "HC-1001"},
    {"name": "Jordan Lee", "date_of_birth": datetime.date(1993, 9, 3), "pronouns": "they/them",
     "external_id": "HC-1002"},
    {"name": "Maria Okafor", "date_of_birth": datetime.date(1979, 1, 27), "pronouns": "she/her",
     "external_id": "HC-1003"},
]


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
        clients.append(client)
    return {
        "practice": practice.slug,
        "admin": dict(DEMO_ADMIN),
        "clinician": dict(DEMO_CLINICIAN),
        "clients": [{"id": str(c.pk), "name": c.name} for c in clients],
    }
