"""Risk on the note page, as a clinician meets it: a denial is documentation, an endorsement needs a
risk assessment before signing, and the assessment goes out with the note (PDF and EHR text)."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from intellisession.models import AuditEvent
from notes.models import Note
from tests.conftest import World
from tests.notes_flow.conftest import generate
from tests.ui.conftest import signed_in

pytestmark = pytest.mark.usefixtures("eager")

DENIAL = "Client denies SI, HI and self-harm. Discussed sleep hygiene and her week at work."
ENDORSED = (
    "Client reported passive suicidal thoughts this week, no plan or intent. "
    "Her daughter keeps her going. We wrote a safety plan together."
)
ANSWERS = {
    "ideation": "passive",
    "plan": "none",
    "intent": "none",
    "means": "restricted",
    "protective_factors": "Her daughter.",
    "safety_plan": "completed",
    "response": "Safety plan written in session; crisis line given; check-in call on Thursday.",
}


def page(world: World, note: Note, suffix: str = "") -> str:
    return f"/p/{world.a.practice.slug}/notes/{note.pk}/{suffix}"


def summary_note(world: World, text: str) -> Note:
    request, note = generate(world, summary_only=True, style_key="soap", texts=[("session_summary", text)])
    assert request.status == "ready" and note is not None, request.error
    return note


def resolve_all(world: World, note: Note) -> None:
    """Accept any unsupported sentence, so that only risk stands between the draft and signing."""
    browser = signed_in(world.a.clinician)
    for section in note.document.sections:
        for index, sentence in enumerate(section.sentences):
            if sentence.needs_review:
                browser.post(
                    page(world, note, "sentence/"), {"section": section.key, "index": index, "action": "accept"}
                )


def test_a_typed_denial_is_listed_but_does_not_block_signing(transactional_db: None, world: World) -> None:
    note = summary_note(world, DENIAL)
    assert {(r.category, r.status) for r in note.document.risks} >= {
        ("suicide", "denied"),
        ("harm_to_others", "denied"),
    }
    assert note.document.pending_assessments() == []
    html = signed_in(world.a.clinician).get(page(world, note)).content.decode()
    assert "Also documented (no assessment needed)" in html and 'data-risk="denied"' in html
    assert "Needs your risk assessment" not in html and "complete the risk assessment" not in html
    resolve_all(world, note)
    response = signed_in(world.a.clinician).post(page(world, note, "sign/"), {"confirm": "on"}, follow=True)
    assert "Note signed." in response.content.decode()


def test_an_endorsement_blocks_signing_until_its_assessment_is_complete(transactional_db: None, world: World) -> None:
    note = summary_note(world, ENDORSED)
    assert note.document.pending_assessments() == ["suicide"]
    resolve_all(world, note)
    browser = signed_in(world.a.clinician)
    html = browser.get(page(world, note)).content.decode()
    assert "Needs your risk assessment" in html and "passive suicidal thoughts" in html
    assert "reported suicide risk in this session" in html and "data-sign disabled" in html

    refused = browser.post(page(world, note, "sign/"), {"confirm": "on"}, follow=True).content.decode()
    assert "complete the risk assessment" in refused
    note.refresh_from_db()
    assert not note.is_signed

    # Half a form comes back with what was typed and says what is missing; nothing is saved.
    partial = {"prefix": "suicide", "suicide-category": "suicide", "suicide-ideation": "passive"}
    response = browser.post(page(world, note, "risk-assessment/"), partial)
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    (group,) = [g for g in response.context["risks"] if g.category == "suicide"]
    assert group.form.is_bound and group.form["ideation"].value() == "passive"  # kept as typed
    note.refresh_from_db()
    assert note.document.risk_assessments == []

    full = {"prefix": "suicide", "suicide-category": "suicide", **{f"suicide-{k}": v for k, v in ANSWERS.items()}}
    assert browser.post(page(world, note, "risk-assessment/"), full).status_code == 302
    note.refresh_from_db()
    (assessment,) = note.document.risk_assessments
    assert assessment.ideation == "passive" and assessment.completed_by == str(world.a.clinician.pk)
    event = AuditEvent.objects.get(action="note.risk_assess", object_id=str(note.pk))
    assert event.detail == {"category": "suicide"}  # ids and the category only, never the answers

    assert "Note signed." in browser.post(page(world, note, "sign/"), {"confirm": "on"}, follow=True).content.decode()
    note.refresh_from_db()
    assert note.is_signed

    text = browser.get(page(world, note, "export.txt")).content.decode()
    assert "RISK ASSESSMENT: SUICIDE RISK" in text
    assert "Ideation: Passive" in text and "Safety plan: Completed in session" in text
    assert "Means: Access to means restricted as part of the safety plan" in text
    assert "check-in call on Thursday" in text and "passive suicidal thoughts" in text
    pdf = browser.get(page(world, note, "export.pdf")).content
    printed = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Risk assessment: Suicide risk" in printed and "check-in call on Thursday" in printed


def test_an_assessment_for_a_category_not_endorsed_is_refused(transactional_db: None, world: World) -> None:
    note = summary_note(world, DENIAL)
    form = {"prefix": "abuse", "abuse-category": "abuse", **{f"abuse-{k}": v for k, v in ANSWERS.items()}}
    response = signed_in(world.a.clinician).post(page(world, note, "risk-assessment/"), form, follow=True)
    assert "did not endorse risk of this kind" in response.content.decode()
    note.refresh_from_db()
    assert note.document.risk_assessments == []


def test_the_api_takes_the_same_assessment(transactional_db: None, world: World) -> None:
    from tests.conftest import api_client_for

    note = summary_note(world, ENDORSED)
    api = api_client_for(world.a.clinician)
    url = f"/api/v1/practices/{world.a.practice.slug}/notes/{note.pk}/"
    body = api.get(url).json()
    assert [(f["category"], f["status"], f["acknowledged"]) for f in body["risk_flags"]][:1] == [
        ("suicide", "endorsed", False)
    ]
    assert set(body["risk_flags"][0]) >= {"category", "status", "level", "quote", "source", "start", "speaker"}
    bad = api.post(url + "assess-risk/", {"category": "suicide", "ideation": "sometimes"}, format="json")
    assert bad.status_code == 400
    good = api.post(url + "assess-risk/", {"category": "suicide", **ANSWERS}, format="json")
    assert good.status_code == 200, good.content
    data = good.json()
    assert data["risk_assessments"][0]["safety_plan"] == "completed"
    assert not any("risk assessment" in b for b in data["blockers"])
