"""What a new clinician and a new practice admin see outside the Generate Note dialog, in Chromium:
sign-in, practice settings and members, the note page's evidence and per-section copy at desktop
width, and the clinician's pages on a phone."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client as BrowserClient
from playwright.sync_api import expect

from clients.models import Client, TreatmentGoal
from intellisession.models import TranscriptRetention
from notes.document import Evidence, NoteDocument, NoteSection, Sentence
from notes.models import Note, NoteRequest, RequestStatus, VersionReason
from notes.services.review import note_version_keep
from tests.browser.conftest import PHONE, TOUCH, browser_page, screenshot, sign_in
from tests.conftest import World
from tests.security.conftest import fresh_ip
from tests.ui.conftest import give_consent, make_draft

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

DESKTOP = {"width": 1366, "height": 768}

# A paragraph long enough to wrap, so some sentences start near the right edge of the page.
OBSERVATIONS = [
    "Client arrived on time and was casually dressed.",
    "Client described sleeping about five hours on most nights.",
    "Client said work deadlines kept her awake.",
    "Client reported that her appetite was unchanged.",
    "Client named her sister as her main support.",
    "Client denied any thoughts of harming herself.",
    "Client practised the breathing exercise in session.",
    "Client said the exercise helped a little.",
    "Client agreed to keep a sleep diary.",
    "Client described a row with her manager on Tuesday.",
    "Client said she felt calmer by the end of the session.",
    "Client asked about books on insomnia.",
    "Client rated her mood five out of ten.",
]


@pytest.fixture
def desktop(chromium: Any, live_server: Any) -> Iterator[Any]:
    with browser_page(chromium, live_server, DESKTOP, permissions=["clipboard-read", "clipboard-write"]) as page:
        yield page


@pytest.fixture
def phone(chromium: Any, live_server: Any) -> Iterator[Any]:
    with browser_page(chromium, live_server, PHONE, **TOUCH) as page:
        yield page


@pytest.fixture
def note(transactional_db: None, world: World) -> Note:
    """A draft whose first section is a long paragraph of sentences, each with its evidence."""
    give_consent(world.a)
    sentences = [
        Sentence(text=text, supported=True, evidence=[Evidence(source="input", quote=text.removeprefix("Client "))])
        for text in OBSERVATIONS
    ]
    sections = [
        NoteSection(key="subjective", title="Subjective", sentences=sentences),
        NoteSection(key="plan", title="Plan", sentences=[Sentence(text="Keep a sleep diary for two weeks.")]),
    ]
    return make_draft(world.a, body=NoteDocument(sections=sections).dump())


def note_url(note: Note) -> str:
    return f"/p/{note.practice.slug}/notes/{note.pk}/"


def assert_in_viewport(box: dict[str, float] | None, width: int, what: str) -> None:
    assert box is not None, f"{what} is not shown"
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{what} runs off the screen: {box}"


def open_popover(page: Any, sentence: Any, *, touch: bool = False) -> dict[str, float] | None:
    """Tap or click the page's heading first (which closes any open popover, so none covers the
    sentence), then the sentence."""
    for target in (page.locator("h1").first, sentence):
        target.tap() if touch else target.click()
    evidence = page.locator(".sent-wrap.open .evidence")
    evidence.wait_for()
    return evidence.bounding_box()  # type: ignore[no-any-return]


# --- sign-in


def test_sign_in_page_says_how_to_get_an_account_and_nothing_is_missing(
    desktop: Any, transactional_db: None, live_server: Any
) -> None:
    missing: list[str] = []
    desktop.on("response", lambda r: missing.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    desktop.goto("/accounts/login/")
    assert desktop.get_by_role("heading", name="Sign in").is_visible()
    assert desktop.get_by_text("Accounts are by invitation").is_visible()
    assert "sign up" not in desktop.locator("main").inner_text().lower()
    assert desktop.get_by_role("link", name=re.compile("sign up", re.I)).count() == 0
    icon = desktop.locator("link[rel=icon]").get_attribute("href")
    fetched = desktop.request.get(icon)
    assert fetched.ok and fetched.headers["content-type"] == "image/svg+xml"
    legacy = desktop.request.get("/favicon.ico")
    assert legacy.ok and legacy.url.endswith("/static/favicon.svg") and b"<svg" in legacy.body()
    screenshot(desktop, "sign-in")
    desktop.goto("/accounts/signup/")
    assert desktop.get_by_role("heading", name="Accounts are by invitation").is_visible()
    assert not missing, missing


# --- practice settings and members


def test_settings_checkboxes_sit_beside_their_labels_and_days_are_asked_only_when_used(
    desktop: Any, transactional_db: None, world: World
) -> None:
    sign_in(desktop, world.a.admin.email)
    desktop.goto(f"/p/{world.a.practice.slug}/admin/settings/")
    for name in ("require_mfa", "share_caseload", "share_client_instructions"):
        box = desktop.locator(f"#id_{name}").bounding_box()
        words = desktop.locator(f"label[for=id_{name}] > span").bounding_box()
        assert box and words, name
        assert 0 <= words["x"] - (box["x"] + box["width"]) <= 16, f"{name}: the words are far from the box"
        assert abs((words["y"] + 12) - (box["y"] + box["height"] / 2)) <= 12, f"{name}: not on the same line"
    desktop.locator("label[for=id_share_caseload] > span").click()  # the words toggle the box
    assert desktop.locator("#id_share_caseload").is_checked()
    for radio in desktop.locator("input[name=transcript_retention]").all():
        label = desktop.locator(f"label[for={radio.get_attribute('id')}]").bounding_box()
        box = radio.bounding_box()
        assert label and box and box["x"] - label["x"] <= 4, "a radio button is not at the start of its label"

    desktop.get_by_role("radio", name="Keep transcripts").check()
    desktop.get_by_label(re.compile("Days to keep transcripts")).fill("")
    screenshot(desktop, "practice-settings")
    desktop.get_by_role("button", name="Save settings").click()
    assert desktop.get_by_text("Practice settings saved.").is_visible()
    world.a.practice.refresh_from_db()
    assert world.a.practice.transcript_retention == TranscriptRetention.KEEP and world.a.practice.share_caseload

    desktop.get_by_role("radio", name="Delete transcripts after a number of days").check()
    desktop.get_by_label(re.compile("Days to keep transcripts")).fill("")
    desktop.get_by_role("button", name="Save settings").click()
    error = desktop.get_by_text("Say after how many days transcripts are deleted (1 to 3650).")
    assert error.is_visible()
    screenshot(desktop, "practice-settings-days-needed")


def test_members_page_offers_to_clear_a_lockout_only_where_there_is_one(
    desktop: Any, transactional_db: None, world: World
) -> None:
    address = fresh_ip()
    for _ in range(5):
        BrowserClient(REMOTE_ADDR=address).post(
            "/accounts/login/", {"login": world.a.clinician.email, "password": "not the password"}
        )
    sign_in(desktop, world.a.admin.email)
    desktop.goto(f"/p/{world.a.practice.slug}/admin/members/")
    clear = desktop.get_by_role("button", name=re.compile("Clear sign-in lockout"))
    assert clear.count() == 1
    row = desktop.locator("tr", has=clear)
    assert world.a.clinician.email in row.inner_text() and "Locked out" in row.inner_text()
    screenshot(desktop, "members-lockout")
    clear.click()
    assert desktop.get_by_text(f"Sign-in lockouts for {world.a.clinician.email} are cleared.").is_visible()
    assert desktop.get_by_role("button", name=re.compile("Clear sign-in lockout")).count() == 0


# --- the note page at 1366 px


def test_evidence_popover_stays_inside_the_window_at_1366_px(desktop: Any, world: World, note: Note) -> None:
    sign_in(desktop, world.a.clinician.email)
    desktop.goto(note_url(note))
    sentences = desktop.locator("[data-sentence]")
    starts = [sentences.nth(i).evaluate("s => s.getClientRects()[0].left") for i in range(sentences.count())]
    rightmost = max(range(len(starts)), key=lambda i: starts[i])
    # The case the fix is for: hung from where this sentence starts, a 420 px popover would stick out.
    assert starts[rightmost] + 420 > DESKTOP["width"], starts
    for i in range(sentences.count()):
        assert_in_viewport(open_popover(desktop, sentences.nth(i)), DESKTOP["width"], f"popover of sentence {i}")
    desktop.locator("h1").first.click()  # away from any sentence: all close
    assert desktop.locator(".sent-wrap.open").count() == 0
    sentences.nth(rightmost).hover()  # hover shows it too (CSS), and it is placed the same way
    hovered = desktop.locator(".sent-wrap").nth(rightmost).locator(".evidence")
    assert_in_viewport(hovered.bounding_box(), DESKTOP["width"], "hovered popover")
    sentences.nth(rightmost).click()
    screenshot(desktop, "note-evidence-1366")


def test_each_section_copies_its_own_text_for_the_ehr(desktop: Any, world: World, note: Note) -> None:
    sign_in(desktop, world.a.clinician.email)
    desktop.goto(note_url(note))
    plan = desktop.locator("#section-plan")
    plan.get_by_role("button", name="Copy Plan").click()
    expect(plan.locator("[data-copy-status]")).to_have_text("Copied. Paste it into the EHR.")
    assert desktop.evaluate("navigator.clipboard.readText()") == "Keep a sleep diary for two weeks.\n"

    subjective = desktop.locator("#section-subjective")
    subjective.get_by_role("button", name="Copy Subjective").click()
    expect(subjective.locator("[data-copy-status]")).to_have_text("Copied. Paste it into the EHR.")
    expect(plan.locator("[data-copy-status]")).to_have_text("")  # one message at a time
    section_text = desktop.evaluate("navigator.clipboard.readText()")
    assert section_text == " ".join(OBSERVATIONS) + "\n"

    desktop.get_by_role("button", name="Copy for EHR").click()
    expect(desktop.locator(".note-tools [data-copy-status]")).to_have_text("Copied. Paste it into the EHR.")
    whole = desktop.evaluate("navigator.clipboard.readText()")
    assert f"SUBJECTIVE\n{section_text}\nPLAN\n" in whole and "DRAFT - not signed" in whole
    screenshot(desktop, "note-section-copy")


# --- a phone: 390 px wide, touch


def assert_no_sideways_scroll(page: Any, what: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{what} is {width}px wide on a {PHONE['width']}px phone"


@pytest.fixture
def caseload(note: Note, world: World) -> dict[str, str]:
    """The pages a clinician opens on a phone, with enough on them to crowd a narrow screen."""
    side = world.a
    for name in ("Alexandra Montgomery-Fitzwilliam", "Bo Li"):
        Client.objects.create(practice=side.practice, name=name).assigned_clinicians.add(side.clinician)
    TreatmentGoal.objects.create(
        practice=side.practice,
        client=side.client,
        description="Sleep at least seven hours on most nights",
        target="Sleep diary shows 7 hours on 5 nights a week",
        start_date=datetime.date(2026, 1, 5),
    )
    note_version_keep(note, reason=VersionReason.REGENERATED, actor=side.clinician)
    running, failed = (
        NoteRequest.objects.create(
            practice=side.practice,
            client=side.client,
            created_by=side.clinician,
            style_key="soap",
            date_of_service=datetime.date(2026, 1, 14),
            summary_only=True,
            status=status,
            error=error,
        )
        for status, error in (
            (RequestStatus.GENERATING, ""),
            (RequestStatus.FAILED, "The note could not be written: the language model did not answer."),
        )
    )
    slug = side.practice.slug
    return {
        "clients": f"/p/{slug}/",
        "client": f"/p/{slug}/clients/{side.client.pk}/",
        "progress": f"/p/{slug}/requests/{running.pk}/",
        "progress-failed": f"/p/{slug}/requests/{failed.pk}/",
        "note": note_url(note),
        "note-version": f"{note_url(note)}versions/1/",
    }


def test_clinician_pages_fit_a_phone_without_sideways_scroll(
    phone: Any, world: World, note: Note, caseload: dict[str, str]
) -> None:
    phone.goto("/accounts/login/")
    assert_no_sideways_scroll(phone, "sign-in page")
    screenshot(phone, "phone-sign-in")
    sign_in(phone, world.a.clinician.email)
    for name, path in caseload.items():
        phone.goto(path)
        phone.wait_for_load_state()
        assert_no_sideways_scroll(phone, name)
        screenshot(phone, f"phone-{name}")

    phone.goto(caseload["note"])
    sentences = phone.locator("[data-sentence]")
    for i in range(sentences.count()):
        box = open_popover(phone, sentences.nth(i), touch=True)
        assert_in_viewport(box, PHONE["width"], f"popover of sentence {i}")
        # Below the sentence's last line: a finger on the sentence is never under its own popover.
        bottom = sentences.nth(i).evaluate("s => Array.from(s.getClientRects()).pop().bottom")
        assert box is not None and box["y"] >= bottom - 1, f"popover of sentence {i} covers the sentence"
    assert_no_sideways_scroll(phone, "note page with a popover open")
    for control in ("Copy Subjective", "Copy Plan", "Copy for EHR", "Export PDF"):
        target = phone.get_by_role("button" if control.startswith("Copy") else "link", name=control)
        box = target.bounding_box()
        assert_in_viewport(box, PHONE["width"], control)
        assert box is not None and box["height"] >= 32, f"{control} is too small to tap: {box}"
    screenshot(phone, "phone-note-evidence")
