from __future__ import annotations

import pytest

from notes.context import NoteContext, TextInput
from notes.document import NO_CONTENT
from notes.offline import offline_draft
from notes.sources import transcript_units
from notes.speakers import resolve_speakers
from notes.styles import BUILTIN_STYLES
from tests.notes.conftest import FEELING_QUESTION, fifty_minutes, make_ctx, segments_from_script
from transcription.types import Segment


def _sentences(ctx: NoteContext, key: str) -> list[str]:
    section = next(s for s in offline_draft(ctx).sections if s.key == key)
    return [sentence.text for sentence in section.sentences]


@pytest.mark.parametrize("style", list(BUILTIN_STYLES))
def test_every_style_gets_all_its_sections_offline(style: str) -> None:
    draft = offline_draft(make_ctx(style))
    assert [s.key for s in draft.sections] == [s.key for s in BUILTIN_STYLES[style].sections]
    assert all(section.sentences for section in draft.sections)
    assert draft.engine == "offline"
    assert draft.offline_notice and "no language model" in draft.offline_notice


@pytest.mark.parametrize("style", list(BUILTIN_STYLES))
def test_every_offline_statement_keeps_verbatim_timed_evidence(style: str) -> None:
    ctx = make_ctx(style)
    sources = [seg.text for seg in ctx.segments]
    for section in offline_draft(ctx).sections:
        for sentence in section.sentences:
            if sentence.placeholder:
                assert sentence.text == NO_CONTENT and not sentence.supported and not sentence.evidence
                continue
            assert sentence.supported and sentence.evidence
            for evidence in sentence.evidence:
                assert evidence.source == "transcript" and any(evidence.quote in text for text in sources)
                assert evidence.start is not None and evidence.end is not None and evidence.start < evidence.end


def test_the_journal_homework_lands_in_the_soap_plan_in_the_third_person() -> None:
    plan = _sentences(make_ctx("soap"), "plan")
    assert "Homework: write in their journal for ten minutes each evening about one memory of their father." in plan
    assert "Client agreed." in plan


def test_the_therapists_question_becomes_a_technique_and_is_never_quoted() -> None:
    draft = offline_draft(make_ctx("birp"))
    intervention = next(s for s in draft.sections if s.key == "intervention")
    assert "Clinician used exploration of feelings." in [s.text for s in intervention.sentences]
    assert all(FEELING_QUESTION not in s.text for section in draft.sections for s in section.sentences)
    # The answer keeps what it answers: the question's topic, in the third person, never the question itself.
    assert (
        "When asked how it felt to share that with their brother, client reported that it was sad but also good."
        in _sentences(make_ctx("birp"), "behavior")
    )


def test_psychoeducation_names_its_topic_as_a_note_would() -> None:
    script = [
        "C: I've been feeling dizzy since I started the new pills.",
        "T: Dizziness can be a side effect in the first weeks, and it's common for it to settle.",
    ]
    done = _sentences(make_ctx("soap", segments_from_script(script)), "objective")
    assert "Clinician provided psychoeducation on medication side effects." in done


def test_the_clients_account_lands_in_soap_subjective_in_the_third_person() -> None:
    subjective = _sentences(make_ctx("soap"), "subjective")
    assert "Client reported emailing their manager on Wednesday." in subjective
    assert not any(s.endswith("?") for s in subjective)
    assert 'Client stated: "We laughed about his terrible fishing stories."' in subjective  # "we" is quoted


def test_placement_works_without_speaker_roles_by_heuristic() -> None:
    ctx = make_ctx("birp")
    ctx.speaker_roles = None
    assert resolve_speakers(ctx.segments, None) == {"Speaker 1": "therapist", "Speaker 2": "client"}
    assert "Clinician used exploration of feelings." in _sentences(ctx, "intervention")
    assert any(s.startswith("Homework: write in their journal") for s in _sentences(ctx, "plan"))


def test_speakers_named_by_role_override_the_heuristic() -> None:
    ctx = make_ctx("birp")
    # Named the other way round from what the heuristic would guess: the names win.
    swapped = {"Speaker 1": "Client", "Speaker 2": "Therapist"}
    segments = [Segment(s.start, s.end, s.text, swapped.get(s.speaker, s.speaker)) for s in ctx.segments]
    assert resolve_speakers(segments, None) == {"Client": "client", "Therapist": "therapist"}
    one_named = [
        Segment(s.start, s.end, s.text, "Therapist" if s.speaker == "Speaker 2" else s.speaker) for s in ctx.segments
    ]
    assert resolve_speakers(one_named, None) == {"Therapist": "therapist", "Speaker 1": "client"}


def test_placement_works_without_any_speaker_labels() -> None:
    ctx = make_ctx("birp")
    ctx.segments = [Segment(s.start, s.end, s.text) for s in ctx.segments]
    ctx.speaker_roles = None
    assert "Clinician used exploration of feelings." in _sentences(ctx, "intervention")
    assert any(s.startswith("Homework: write in their journal") for s in _sentences(ctx, "plan"))


def test_a_section_with_nothing_relevant_gets_the_marker() -> None:
    draft = offline_draft(make_ctx("intake"))
    substance = next(s for s in draft.sections if s.key == "substance_use")
    assert [s.text for s in substance.sentences] == [NO_CONTENT]
    assert substance.sentences[0].placeholder and not substance.sentences[0].supported


def test_typed_observations_land_in_objective_with_input_evidence() -> None:
    note = "Client appeared tired and was tearful in the waiting room."
    ctx = make_ctx("soap", inputs=[TextInput("pre_session", note, "input-7")])
    objective = next(s for s in offline_draft(ctx).sections if s.key == "objective")
    match = next(s for s in objective.sentences if s.text == note)
    assert match.evidence[0].source == "input" and match.evidence[0].ref == "input-7"


def test_a_typed_question_keeps_its_own_mark() -> None:
    ctx = make_ctx("soap", segments=[], inputs=[TextInput("session_summary", "Is the dose too high? Review it.", "i1")])
    texts = [s.text for section in offline_draft(ctx).sections for s in section.sentences]
    assert "Is the dose too high?" in texts and not any(t.endswith("?.") for t in texts)


def test_sentence_times_are_interpolated_within_a_segment() -> None:
    units = transcript_units([Segment(10.0, 20.0, "First part here. Second part here.", "A")], None)
    assert [u.text for u in units] == ["First part here.", "Second part here."]
    (first_start, first_end), (second_start, second_end) = [(u.start or 0.0, u.end or 0.0) for u in units]
    assert first_start == 10.0 and second_end == 20.0
    assert 10.0 < second_start < 20.0 and first_end <= second_start


def test_offline_draft_reports_risk_language() -> None:
    segments = [Segment(0, 4, "Some days I want to kill myself.", "Speaker 2")]
    draft = offline_draft(make_ctx("soap", segments=segments))
    assert [(f.category, f.start) for f in draft.risks] == [("suicide", 0.0)]


def test_risk_language_lands_in_the_intake_risk_section() -> None:
    statement = "Last year I was cutting myself when things got bad."
    segments = [*make_ctx("intake").segments, Segment(70.0, 75.0, statement, "Speaker 2")]
    risk = next(s for s in offline_draft(make_ctx("intake", segments=segments)).sections if s.key == "risk")
    assert [s.text for s in risk.sentences] == [f'Risk (self-harm), history: Client stated: "{statement}"']
    assert risk.sentences[0].evidence[0].start == 70.0


def test_offline_themes_are_only_known_themes_the_session_touches() -> None:
    draft = offline_draft(make_ctx("soap", themes=["return to work", "substance use"]))
    assert draft.themes == ["return to work"]
    assert draft.goal_progress == []


def test_an_offline_draft_of_a_fifty_minute_session_keeps_every_statement_traceable() -> None:
    ctx = make_ctx("soap", segments=fifty_minutes())
    draft = offline_draft(ctx)
    assert all(section.sentences for section in draft.sections)
    for sentence in (s for section in draft.sections for s in section.sentences if not s.placeholder):
        assert sentence.supported and sentence.evidence
        for evidence in sentence.evidence:
            source = ctx.segments[int(evidence.ref.removeprefix("segment:"))]
            assert evidence.quote in source.text
            assert evidence.start is not None and source.start <= evidence.start < source.end


def test_a_clients_risk_statement_goes_to_the_assessment_in_their_own_terms() -> None:
    segments = [Segment(0, 4, "I would never hurt myself.", "Speaker 2")]
    draft = offline_draft(make_ctx("soap", segments=segments))
    assessment = next(s for s in draft.sections if s.key == "assessment")
    assert [s.text for s in assessment.sentences] == ["Client reported that they would never hurt themselves."]
    assert [(f.category, f.status) for f in draft.risks] == [("self_harm", "denied")]


@pytest.mark.parametrize("answer", ["No.", "Mm-mm.", "Uh-uh."])
def test_a_spoken_no_to_a_risk_question_is_a_denial_not_a_quote(answer: str) -> None:
    segments = segments_from_script(["T: Have you had any thoughts of hurting yourself this week?", f"C: {answer}"])
    draft = offline_draft(make_ctx("soap", segments=segments))
    texts = [s.text for section in draft.sections for s in section.sentences]
    assert "Client denied thoughts of hurting themselves this week." in texts
    assert not any(f'"{answer}' in text for text in texts)  # not quoted as a statement


def test_offline_notice_is_one_sentence() -> None:
    notice = offline_draft(make_ctx("soap")).offline_notice or ""
    assert notice.count(". ") == 0 and notice.endswith(".") and "offline" in notice.lower()
