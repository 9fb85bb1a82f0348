"""The clinician's pages on a tablet: nothing runs off the side, the dialog fits, controls are reachable."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from notes.models import InputKind, Note
from tests.browser.conftest import TOUCH, browser_page, screenshot, sign_in
from tests.conftest import World
from tests.ui.conftest import give_consent, make_draft
from transcription.models import Transcription, TranscriptionStatus, TranscriptSegment

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

TABLETS = {"tablet-portrait": {"width": 768, "height": 1024}, "tablet-landscape": {"width": 1024, "height": 768}}


@pytest.fixture(params=list(TABLETS))
def tablet(request: pytest.FixtureRequest, chromium: Any, live_server: Any) -> Iterator[tuple[str, Any]]:
    with browser_page(chromium, live_server, TABLETS[request.param], **TOUCH) as page:
        yield request.param, page


@pytest.fixture
def note(transactional_db: None, world: World) -> Note:
    give_consent(world.a)
    draft = make_draft(world.a)
    assert draft.request is not None
    transcription = Transcription.objects.create(
        practice=draft.practice, status=TranscriptionStatus.DONE, duration=90.0, priming_terms=""
    )
    TranscriptSegment.objects.create(
        practice=draft.practice,
        transcription=transcription,
        start=75.2,
        end=79.0,
        speaker="Speaker 2",
        text="I slept badly most nights this week, again.",
    )
    draft.request.inputs.create(practice=draft.practice, kind=InputKind.AUDIO, transcription=transcription)
    return draft


def assert_fits(page: Any, what: str) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{what} is {overflow}px wider than the screen"


def test_pages_fit_a_tablet(tablet: tuple[str, Any], world: World, note: Note) -> None:
    name, page = tablet
    width = TABLETS[name]["width"]
    sign_in(page, world.a.clinician.email)
    slug = world.a.practice.slug
    for path, what in [
        (f"/p/{slug}/", "dashboard"),
        (f"/p/{slug}/clients/{world.a.client.pk}/", "client page"),
        (f"/p/{slug}/notes/{note.pk}/", "note page"),
        (f"/p/{slug}/notes/{note.pk}/transcript/", "transcript page"),
        (f"/p/{slug}/templates/", "templates page"),
    ]:
        page.goto(path)
        assert_fits(page, what)
    page.goto(f"/p/{slug}/notes/{note.pk}/")
    screenshot(page, f"{name}-note")

    page.goto(f"/p/{slug}/clients/{world.a.client.pk}/")
    page.get_by_role("link", name="Generate Note").click()
    dialog = page.get_by_role("dialog", name="Generate Note")
    dialog.wait_for()
    box = dialog.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box
    assert_fits(page, "Generate Note dialog")
    for control in ("Start recording", "Create"):
        button = dialog.get_by_role("button", name=control, exact=True)
        button.scroll_into_view_if_needed()
        target = button.bounding_box()
        assert target is not None and target["height"] >= 32, f"{control} is too small to tap: {target}"
    screenshot(page, f"{name}-generate-dialog")
