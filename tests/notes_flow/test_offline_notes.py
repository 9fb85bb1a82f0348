"""Offline notes from the sample session: every style, verbatim sentences with evidence, context kept."""

from __future__ import annotations

import re

import pytest

from notes.models import Note, NoteRequest
from notes.services.requests import note_regenerate
from notes.styles import BUILTIN_STYLES
from tests.conftest import World
from tests.notes_flow.conftest import PRIOR_NOTE, generate, membership
from tests.samples import SAMPLES


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


@pytest.mark.usefixtures("eager")
def test_every_style_yields_all_its_sections_from_the_sample(chart: World) -> None:
    request, note = generate(chart, SAMPLES / "sample_session.wav", style_key="soap")
    assert request.status == "ready" and note is not None
    assert note.document.context and note.document.context.prior_note_ids_used, "the prior note was not in view"
    for key, style in BUILTIN_STYLES.items():
        regenerated = note_regenerate(note=note, membership=membership(chart), style_key=key)
        regenerated.refresh_from_db()
        assert regenerated.status == "ready", (key, regenerated.error)
        note.refresh_from_db()
        assert [s.key for s in note.document.sections] == [s.key for s in style.sections], key
        assert all(s.sentences for s in note.document.sections), key
        assert note.style_key == key
    # Every regeneration kept the draft it replaced, in order.
    assert list(note.versions.order_by("number").values_list("number", flat=True)) == list(
        range(1, len(BUILTIN_STYLES) + 1)
    )


@pytest.mark.usefixtures("eager")
def test_offline_statements_keep_evidence_from_the_inputs(chart: World) -> None:
    summary = "Sam arrived on time and was tearful when talking about his father."
    request, note = generate(
        chart, SAMPLES / "sample_session.wav", style_key="birp", texts=[("session_summary", summary)]
    )
    assert note is not None and note.engine == "offline" and "offline" in note.notice.lower()
    transcription = request.inputs.get(kind="audio").transcription
    assert transcription is not None
    transcript = normalise(" ".join(s.text or "" for s in transcription.segments.all()))
    sources = transcript + " " + normalise(summary)
    real = [s for section in note.document.sections for s in section.sentences if not s.placeholder]
    assert len(real) >= 6
    for sentence in real:
        assert sentence.evidence and sentence.supported is True
        assert "?" not in sentence.text, sentence.text
        for evidence in sentence.evidence:
            assert normalise(evidence.quote) in sources, evidence.quote
        transcript_evidence = [e for e in sentence.evidence if e.source == "transcript"]
        assert all(isinstance(e.start, float) for e in transcript_evidence)
    plan = note.document.section("plan")
    assert plan is not None and "journal" in plan.text.lower()


@pytest.mark.usefixtures("eager")
def test_summary_only_note_needs_no_audio_and_no_consent(transactional_db: None, world: World) -> None:
    request, note = generate(
        world,
        summary_only=True,
        style_key="dap",
        texts=[
            ("session_summary", "Client reported better sleep. We practised grounding."),
            ("post_session", "Next week we will review the sleep diary."),
        ],
    )
    assert request.status == "ready" and note is not None
    assert [s.key for s in note.document.sections] == ["data", "assessment", "plan"]
    assert not request.inputs.filter(kind="audio").exists()


@pytest.mark.usefixtures("eager")
def test_risk_statement_in_the_audio_is_flagged_and_blocks_signing(chart: World) -> None:
    from pathlib import Path

    from intellisession.errors import DomainError
    from notes.document import RiskAssessment
    from notes.services.review import note_risk_assess, note_sign

    audio = Path(__file__).resolve().parent.parent / "fixtures" / "audio" / "risk_statement.ogg"
    request, note = generate(chart, audio, style_key="soap")
    assert note is not None, request.error
    risks = note.document.risks
    assert any(r.category == "suicide" and r.endorsed and "killing myself" in r.quote for r in risks)
    assert all(isinstance(r.start, float) and r.speaker for r in risks if r.source == "transcript")
    with pytest.raises(DomainError, match="complete the risk assessment"):
        note_sign(note=note, actor=chart.a.clinician)
    for category in note.document.pending_assessments():
        assessment = RiskAssessment(
            category=category,
            ideation="active",
            plan="none",
            intent="none",
            means="no_access",
            safety_plan="completed",
            response="Safety plan completed; follow-up call tomorrow.",
        )
        note = note_risk_assess(note=note, actor=chart.a.clinician, assessment=assessment)
    assert note.document.unresolved_sentences() == 0
    signed = note_sign(note=note, actor=chart.a.clinician)
    assert signed.status == "signed" and len(signed.content_hash) == 64


def test_prior_note_text_is_kept_verbatim_when_imported(chart: World) -> None:
    imported = Note.objects.get(imported=True)
    assert imported.status == "signed" and imported.document.sections[0].text == PRIOR_NOTE
    assert not NoteRequest.objects.exists()
