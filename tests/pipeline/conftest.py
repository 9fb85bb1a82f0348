from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from clients.models import RecordingConsent
from tests.conftest import World


@pytest.fixture
def consented(world: World) -> World:
    for side in (world.a, world.b):
        RecordingConsent.objects.create(
            practice=side.practice, client=side.client, given_on=datetime.date(2026, 1, 5), recorded_by=side.clinician
        )
    return world


@pytest.fixture(autouse=True)
def empty_audio_storage() -> None:
    """Each test starts with no stored audio, so 'nothing kept' checks see only their own."""
    for path in stored_audio():
        path.unlink()


def stored_audio() -> list[Path]:
    from django.conf import settings

    root = Path(settings.PRIVATE_MEDIA_ROOT) / "audio"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
