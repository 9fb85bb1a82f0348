"""Placement by what a fact is: practice templates read by their sections' words, summary-only
notes, speakers told apart without question marks, empty sections said plainly."""

from __future__ import annotations

import json
from pathlib import Path

from notes.context import NoteContext, TextInput
from notes.document import NO_CONTENT
from notes.offline import offline_draft
from notes.placement import section_role
from notes.speakers import resolve_speakers
from notes.styles import BUILTIN_STYLES, Section, Style
from tests.notes.conftest import make_ctx
from transcription.types import Segment

SESSIONS = sorted((Path(__file__).parent / "sessions").glob("*.json"))
TEMPLATE = Style("template:1", "Practice note", (
    Section("client_report", "What the client told us", "The client's account of the week."),
    Section("techniques", "Interventions used", "Techniques the clinician used."),
    Section("homework", "Homework and follow-up", "Tasks agreed for the week and the next appointment."),
    Section("safety", "Risk", "Any risk statements and denials."),
))  # fmt: skip


def sections(ctx: NoteContext) -> dict[str, list[str]]:
    return {s.key: [x.text for x in s.sentences] for s in offline_draft(ctx).sections}


def test_template_sections_without_roles_are_read_by_their_words() -> None:
    assert [section_role(s) for s in TEMPLATE.sections] == ["client_account", "intervention", "plan", "risk"]
    ctx = make_ctx("soap")
    ctx.style = TEMPLATE
    placed = sections(ctx)
    assert "Client reported emailing their manager on Wednesday." in placed["client_report"]
    assert "Clinician used exploration of feelings." in placed["techniques"]
    assert any(s.startswith("Homework: write in their journal") for s in placed["homework"])
    assert placed["safety"] == [NO_CONTENT]


def test_a_summary_only_dap_note_puts_the_report_in_data_and_the_plan_in_plan() -> None:
    ctx = NoteContext(style=BUILTIN_STYLES["dap"], inputs=[
        TextInput("session_summary", "Client reported better sleep. We practised grounding.", "i1"),
        TextInput("post_session", "Client appears more hopeful and motivated. Next week we will review the sleep "
                                  "diary.", "i2"),
    ])  # fmt: skip
    placed = sections(ctx)
    assert placed["data"] == ["Client reported better sleep.", "We practised grounding."]
    assert placed["assessment"] == ["Client appears more hopeful and motivated."]
    assert placed["plan"] == ["Next week we will review the sleep diary."]


def test_speakers_are_told_apart_even_when_the_transcript_has_no_question_marks() -> None:
    for path in SESSIONS:
        data = json.loads(path.read_text(encoding="utf-8"))
        flat = [Segment(s["start"], s["end"], s["text"].replace("?", "."), s["speaker"]) for s in data["segments"]]
        assert resolve_speakers(flat, None) == data["roles"], path.stem


def test_session_audio_truth_matches_its_scripted_session() -> None:
    audio = Path(__file__).resolve().parents[1] / "fixtures" / "audio"
    for truth_file in ("session_depression_distinct.json", "session_panic_similar.json"):
        truth = json.loads((audio / truth_file).read_text(encoding="utf-8"))
        script = json.loads((Path(__file__).parent / "sessions" / f"{truth['session']}.json").read_text("utf-8"))
        assert (audio / truth["audio"]).stat().st_size < 1_000_000
        assert [t["text"] for t in truth["turns"]] == [s["text"] for s in script["segments"][: len(truth["turns"])]]
        assert {t["role"] for t in truth["turns"]} == {"therapist", "client"}
        assert all(a["end"] < b["start"] for a, b in zip(truth["turns"], truth["turns"][1:], strict=False))


def test_a_sentence_split_across_two_segments_is_read_whole() -> None:
    segments = [
        Segment(0.0, 2.0, "Hi.", "Speaker 1"),
        Segment(2.5, 4.0, "How have you been?", "Speaker 1"),
        Segment(4.5, 7.0, "I missed two doses of my", "Speaker 2"),
        Segment(7.0, 9.0, "sertraline because I felt dizzy.", "Speaker 2"),
    ]
    ctx = make_ctx("soap", segments=segments)
    ctx.speaker_roles = None
    (sentence,) = offline_draft(ctx).sections[0].sentences
    assert sentence.text == "Medication: Client reported missing two doses of their sertraline because they felt dizzy."
    assert sentence.evidence[-1].start == 4.5 and sentence.evidence[-1].end == 9.0
