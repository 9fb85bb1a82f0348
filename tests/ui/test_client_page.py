"""The client page: notes timeline, goals and their chart, themes, consent, instruction."""

from __future__ import annotations

import datetime

import pytest

from clients.models import RecordingConsent, TreatmentGoal
from notes.models import CustomInstruction, GoalProgressEntry
from tests.conftest import World
from tests.ui.conftest import give_consent, make_draft, signed_in

pytestmark = pytest.mark.django_db


def page_url(world: World) -> str:
    return f"/p/{world.a.practice.slug}/clients/{world.a.client.pk}/"


def test_client_page_shows_timeline_themes_and_generate_button(world: World) -> None:
    note = make_draft(world.a)
    page = signed_in(world.a.clinician).get(page_url(world)).content.decode()
    assert f"/notes/{note.pk}/" in page and "SOAP" in page and "Draft" in page
    assert "Recurring themes" in page and "grief" in page
    assert "Generate Note" in page and '<dialog id="generate-dialog"' in page
    assert "No consent on file" in page and "Recording is unavailable" in page


def test_read_only_member_sees_no_generate_button_and_no_drafts(world: World) -> None:
    note = make_draft(world.a)
    page = signed_in(world.a.reader).get(page_url(world)).content.decode()
    assert "Generate Note" not in page and f"/notes/{note.pk}/" not in page


def test_recording_and_revoking_consent(world: World) -> None:
    browser = signed_in(world.a.clinician)
    response = browser.post(page_url(world) + "consent/", {"given_on": "2026-01-02"})
    assert response.status_code == 302
    consent = RecordingConsent.objects.get(client=world.a.client)
    page = browser.get(page_url(world)).content.decode()
    assert "On file" in page and "Recording is unavailable" not in page
    browser.post(page_url(world) + f"consent/{consent.pk}/revoke/")
    consent.refresh_from_db()
    assert consent.revoked_at is not None


def test_future_consent_date_is_shown_as_an_error(world: World) -> None:
    future = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
    response = signed_in(world.a.clinician).post(page_url(world) + "consent/", {"given_on": future})
    assert response.status_code == 400
    assert "cannot be in the future" in response.content.decode()
    assert not RecordingConsent.objects.exists()


def test_consent_form_is_a_pdf_for_any_member(world: World) -> None:
    response = signed_in(world.a.reader).get(page_url(world) + "consent-form.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_adding_and_editing_a_goal(world: World) -> None:
    browser = signed_in(world.a.clinician)
    assert browser.post(page_url(world) + "goals/", {"description": "", "status": "active"}).status_code == 400
    browser.post(
        page_url(world) + "goals/", {"description": "Sleep 7 hours", "target": "5 nights a week", "status": "active"}
    )
    goal = TreatmentGoal.objects.get()
    edit = page_url(world) + f"goals/{goal.pk}/"
    assert "Sleep 7 hours" in browser.get(edit).content.decode()
    browser.post(edit, {"description": "Sleep 7 hours", "target": "", "status": "met"})
    goal.refresh_from_db()
    assert goal.status == "met"


def test_goal_progress_chart_with_text_alternative(world: World) -> None:
    goal = TreatmentGoal.objects.create(practice=world.a.practice, client=world.a.client, description="Journal")
    for day, status in ((3, "no_change"), (10, "progressing")):
        note = make_draft(world.a, date_of_service=datetime.date(2026, 1, day))
        GoalProgressEntry.objects.create(practice=world.a.practice, note=note, goal=goal, status=status, evidence="")
    page = signed_in(world.a.clinician).get(page_url(world)).content.decode()
    assert '<svg viewBox="0 0 640 220" role="img"' in page and "<polyline" in page
    assert "Progress as a table" in page and "No change" in page and "Progressing" in page
    assert 'points=""' not in page and "Jan 3" in page and "Jan 10" in page


def test_chart_tells_sessions_of_one_day_apart_and_says_when_nothing_was_judged(world: World) -> None:
    goal = TreatmentGoal.objects.create(practice=world.a.practice, client=world.a.client, description="Walk daily")
    for _ in range(2):
        note = make_draft(world.a, date_of_service=datetime.date(2026, 12, 1))
        GoalProgressEntry.objects.create(
            practice=world.a.practice, note=note, goal=goal, status="discussed", evidence=""
        )
    page = signed_in(world.a.clinician).get(page_url(world)).content.decode()
    assert "Dec 1 (1)" in page and "Dec 1 (2)" in page
    assert "No note has judged progress on these goals yet" in page


def test_client_instruction_is_saved(world: World) -> None:
    browser = signed_in(world.a.clinician)
    browser.post(
        f"/p/{world.a.practice.slug}/clients/{world.a.client.pk}/instruction/",
        {"text": "Use the client's chosen name."},
    )
    assert CustomInstruction.objects.get(level="client", client=world.a.client).text == "Use the client's chosen name."
    assert "chosen name" in browser.get(page_url(world)).content.decode()


def test_consent_of_other_practice_client_is_404(world: World) -> None:
    consent = give_consent(world.b)
    response = signed_in(world.a.admin).post(page_url(world) + f"consent/{consent.pk}/revoke/")
    assert response.status_code == 404


def test_consent_records_how_it_was_given_who_recorded_it_and_keeps_the_signed_form(world: World) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from intellisession.models import AuditEvent

    browser = signed_in(world.a.clinician)
    scan = SimpleUploadedFile("Jane Doe consent.pdf", b"%PDF-1.4\n% a scanned form\n", content_type="application/pdf")
    form = {"given_on": "2026-01-05", "method": "signed_form", "signed_form": scan}
    assert browser.post(page_url(world) + "consent/", form).status_code == 302
    consent = RecordingConsent.objects.get(client=world.a.client)
    assert consent.method == "signed_form" and consent.recorded_by == world.a.clinician
    assert consent.signed_form and "Jane" not in str(consent.signed_form.name)  # random names in storage
    page = browser.get(page_url(world)).content.decode()
    assert "Signed form · recorded by" in page and "Jan 5, 2026" in page
    download = browser.get(page_url(world) + f"consent/{consent.pk}/signed-form/")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    assert AuditEvent.objects.filter(action="consent.form_view", object_id=str(consent.pk)).count() == 1
    assert AuditEvent.objects.get(action="consent.record").detail == {"method": "signed_form", "signed_form": True}


def test_a_signed_form_that_is_not_a_pdf_or_image_is_refused_by_name_and_nothing_is_stored(world: World) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    browser = signed_in(world.a.clinician)
    fake = SimpleUploadedFile("consent.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = browser.post(
        page_url(world) + "consent/", {"given_on": "2026-01-05", "method": "verbal", "signed_form": fake}
    )
    assert response.status_code == 400
    assert "consent.pdf: the signed form must be a PDF, JPEG or PNG file." in response.content.decode()
    assert not RecordingConsent.objects.exists()


def test_verbal_consent_on_a_telehealth_call_needs_no_form(world: World) -> None:
    browser = signed_in(world.a.clinician)
    browser.post(page_url(world) + "consent/", {"given_on": "2026-01-05", "method": "telehealth"})
    consent = RecordingConsent.objects.get(client=world.a.client)
    assert consent.method == "telehealth" and not consent.signed_form
    assert "Verbal, on a telehealth call" in browser.get(page_url(world)).content.decode()


def test_medications_are_shown_and_edited_on_the_chart(world: World) -> None:
    browser = signed_in(world.a.clinician)
    edit = page_url(world) + "edit/"
    form = {"name": world.a.client.name, "medications": "  sertraline 50 mg, Dr. Okafor\n\n trazodone 25 mg  \n"}
    assert browser.post(edit, form).status_code == 302
    world.a.client.refresh_from_db()
    assert world.a.client.medications == "sertraline 50 mg, Dr. Okafor\ntrazodone 25 mg"
    page = browser.get(page_url(world)).content.decode()
    assert "Medications on the chart" in page
    assert "<li>sertraline 50 mg, Dr. Okafor</li>" in page and "<li>trazodone 25 mg</li>" in page
    assert "sertraline 50 mg" in browser.get(edit).content.decode()  # the form shows what is on the chart
