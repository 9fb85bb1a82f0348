"""Drives the product inside a private stack (its own PostgreSQL, Redis and files) for fault tests.

    python -m tests.faults.driver seed
    python -m tests.faults.driver upload --slug S --token T --client ID [--audio PATH] [--stop-redis-after-store]
    python -m tests.faults.driver sweep

Run with the stack's environment (see ``tests.faults.conftest.PrivateStack.env``); each
command prints one JSON line. The test process reads job state with plain SQL, so it
never needs a Django connection to the servers it restarts.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "intellisession.settings")


def seed() -> dict[str, str]:
    from clients.models import Client, RecordingConsent
    from intellisession.models import Membership, Practice, Role, User
    from intellisession.tokens import api_token_issue

    slug = f"faults-{uuid.uuid4().hex[:8]}"
    practice = Practice.objects.create(name="Fault practice", slug=slug)
    user = User.objects.create_user(email=f"clinician@{slug}.test", password=uuid.uuid4().hex, full_name="Clinician")
    Membership.objects.create(user=user, practice=practice, role=Role.CLINICIAN)
    client = Client.objects.create(practice=practice, name="Fault client")
    client.assigned_clinicians.add(user)
    RecordingConsent.objects.create(
        practice=practice, client=client, given_on=datetime.date(2026, 1, 5), recorded_by=user
    )
    return {"slug": slug, "client_id": str(client.pk), "token": api_token_issue(user=user, second_factor=True).key}


def _stop_redis_once() -> None:
    """Connect a receiver that stops Redis right after the recording is stored, before the job is queued."""
    from django.conf import settings
    from django.db.models.signals import post_save

    from intellisession.devservices import redis_stop
    from transcription.models import Transcription

    def stop(sender: type[Transcription], created: bool, **kwargs: Any) -> None:
        if created:
            redis_stop(Path(settings.DATA_DIR))

    post_save.connect(stop, sender=Transcription, weak=False)


def upload(slug: str, token: str, client_id: str, audio: Path | None, stop_redis: bool) -> dict[str, Any]:
    """POST a note request through the REST API: with `audio`, or summary-only without."""
    from rest_framework.test import APIClient

    if stop_redis:
        _stop_redis_once()
    api = APIClient()
    api.raise_request_exception = False  # the caller sees what an HTTP client would
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    url = f"/api/v1/practices/{slug}/note-requests/"
    if audio is None:
        response = api.post(
            url,
            {
                "client_id": client_id,
                "style": "soap",
                "summary_only": "true",
                "session_summary": "Discussed sleep and the plan for the week.",
            },
            format="multipart",
        )
    else:
        with open(audio, "rb") as handle:
            response = api.post(url, {"client_id": client_id, "style": "soap", "audio": [handle]}, format="multipart")
    try:
        body = response.json()
    except ValueError:
        body = {"text": response.content.decode(errors="replace")[:300]}
    return {"status_code": response.status_code, "body": body}


def sweep() -> dict[str, int]:
    from transcription.services import sweeper

    return sweeper.sweep()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["seed", "upload", "sweep"])
    parser.add_argument("--slug", default="")
    parser.add_argument("--token", default="")
    parser.add_argument("--client", default="")
    parser.add_argument("--audio", type=Path)
    parser.add_argument("--stop-redis-after-store", action="store_true")
    args = parser.parse_args()
    import django

    django.setup()
    if args.command == "seed":
        result: Any = seed()
    elif args.command == "upload":
        result = upload(args.slug, args.token, args.client, args.audio, args.stop_redis_after_store)
    else:
        result = sweep()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
