"""The offline drafter, used when no language model endpoint is configured.

It writes the best draft that can be made without a model: the session read turn by turn
(notes.turns), clinical facts in the clinician's voice with their evidence (notes.facts,
notes.voice), goal progress from the session's own numbers (notes.progress), and each fact
placed by what it is (notes.placement). Questions, greetings, back-channels and small talk
never reach the note; nothing is invented.
"""

from __future__ import annotations

import re

from notes import risk_rules, voice
from notes.context import NoteContext
from notes.document import NO_CONTENT, Evidence, EvidenceSource, NoteDraft, NoteSection, RiskItem, Sentence
from notes.drugs import find_medications
from notes.facts import Fact, duration_fact, input_facts, session_facts
from notes.medications import chart_names, medication_facts
from notes.placement import ROLE_KINDS, place
from notes.progress import goal_progress, judge_goals, progress_facts, recurring_themes
from notes.risk import find_risks
from notes.sources import TextUnit, input_units, transcript_units
from notes.speakers import resolve_speakers
from notes.styles import Section
from notes.turns import read_turns
from transcription.types import Segment

__all__ = ["OFFLINE_NOTICE", "ROLE_KINDS", "offline_draft"]

OFFLINE_NOTICE = (
    "Offline draft, no language model used: each statement is the session's own words, put in the third person "
    "or quoted, placed by rules and linked to its source and time, so review and complete it before signing."
)
_RISK_LABELS = {
    "suicide": "suicidal ideation",
    "self_harm": "self-harm",
    "harm_to_others": "harm to others",
    "abuse": "abuse",
}  # fmt: skip, the words of a sentence, not the headings of notes.document.RISK_LABELS


def offline_draft(ctx: NoteContext) -> NoteDraft:
    """Fill every section of the style with clinical statements drawn from the transcript and inputs."""
    segments = _whole_sentences(ctx.segments)
    roles = resolve_speakers(segments, ctx.speaker_roles, [i.text for i in ctx.inputs])
    units = transcript_units(segments, roles or None)
    chart = _chart_names(ctx)
    facts = session_facts(read_turns(units), chart) + input_facts(ctx.inputs) + duration_fact(units)
    facts += medication_facts(units + input_units(ctx.inputs), ctx.medications, chart)
    flags = find_risks(ctx.segments, ctx.inputs)
    facts += _risk_facts(flags, units, facts)
    protective = _protective_facts(units, flags)
    shown = {e.quote for f in protective for e in f.evidence}
    facts = [f for f in facts if not (f.kind in {"report", "risk"} and {e.quote for e in f.evidence} <= shown)]
    facts += protective
    judged = judge_goals(ctx.goals, facts, ctx.prior_notes)
    facts += progress_facts(judged)
    placed = place(facts, ctx.style.sections)
    return NoteDraft(
        sections=[_section_draft(section, placed[section.key]) for section in ctx.style.sections],
        themes=recurring_themes(ctx.themes, units + input_units(ctx.inputs), ctx.prior_notes),
        goal_progress=goal_progress(judged),
        risks=flags,
        engine="offline",
        offline_notice=OFFLINE_NOTICE,
    )


_SPLIT_GAP_S = 1.0


def _whole_sentences(segments: list[Segment]) -> list[Segment]:
    """Whisper cuts segments mid-sentence ("I missed two doses of my" | "sertraline because..."): rejoin
    a speaker's segment that ends without punctuation with the next one, so a sentence is read whole."""
    joined: list[Segment] = []
    for segment in segments:
        last = joined[-1] if joined else None
        if (
            last is not None
            and last.speaker == segment.speaker
            and not last.text.rstrip().endswith(_ENDINGS)
            and segment.start - last.end <= _SPLIT_GAP_S
        ):
            joined[-1] = Segment(last.start, segment.end, f"{last.text.rstrip()} {segment.text.lstrip()}", last.speaker)
        else:
            joined.append(segment)
    return joined


_ENDINGS = (".", "!", "?", '"', "\u201d")


def _chart_names(ctx: NoteContext) -> tuple[str, ...]:
    """Medication names on the client's chart and in their earlier notes, so the same names are found again."""
    earlier = [name for prior in ctx.prior_notes for name in find_medications(prior.text)]
    return tuple(dict.fromkeys([*chart_names(ctx.medications), *earlier]))


# How each status reads in the risk summary; a hypothetical mention ("in the film ...") is left out.
_STATUS_FRAMES = {
    "endorsed": "Risk ({label}): {said}",
    "historical": "Risk ({label}), history: {said}",
    "other_person": "Risk ({label}) concerning another person: {said}",
    "denied": "Risk ({label}), denied: {said}",
}


def _risk_text(flag: RiskItem, labels: list[str]) -> str | None:
    """One line for the items one sentence gave the same status ("suicidal ideation and self-harm,
    denied"); the client's own words are "Client stated", a typed input's are "documented"."""
    frame = _STATUS_FRAMES.get(flag.status)
    if frame is None:
        return None
    label = labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"
    said = f'Client stated: "{flag.quote}"' if flag.source == "transcript" else f'documented: "{flag.quote}"'
    return frame.format(label=label, said=said)


def _risk_facts(flags: list[RiskItem], units: list[TextUnit], facts: list[Fact]) -> list[Fact]:
    """The risk summary: each client statement of risk quoted, each denial noted; clinicians' questions skipped."""
    by_start = {(u.text, u.start): u for u in units}
    covered = {e.quote for f in facts if f.kind == "risk" for e in f.evidence}
    out: list[Fact] = []
    grouped: dict[tuple[str, str, float | None], list[str]] = {}
    for flag in flags:
        grouped.setdefault((flag.status, flag.quote, flag.start), []).append(
            _RISK_LABELS.get(flag.category, flag.category)
        )
    written: set[tuple[str, str, float | None]] = set()
    for flag in flags:
        unit = next((u for (text, start), u in by_start.items() if start == flag.start and text in flag.quote), None)
        if unit is not None and (unit.speaker == "therapist" or unit.text.rstrip().endswith("?")):
            continue
        if flag.quote in covered:
            _label_covering(facts, flag)
            continue
        key = (flag.status, flag.quote, flag.start)
        if key in written:
            continue
        written.add(key)
        text = _risk_text(flag, list(dict.fromkeys(grouped[key])))
        if text is None:
            continue
        evidence = unit.evidence() if unit is not None else _flag_evidence(flag)
        out.append(Fact("risk", text, [evidence], "Risk", float(unit.position if unit else 0)))
    return out


_PROTECTIVE_CUES = re.compile(risk_rules.PROTECTIVE_CUES, re.IGNORECASE)
_PROTECTIVE = {label: re.compile(p, re.IGNORECASE) for label, p in risk_rules.PROTECTIVE_FACTORS.items()}


def _protective_facts(units: list[TextUnit], flags: list[RiskItem]) -> list[Fact]:
    """Protective factors the client names ("I could never do that to my kids."), with the risk summary:
    each such sentence of the client's under the factors it names, then any factor a risk item found
    that no sentence here shows."""
    facts: list[Fact] = []
    named: set[str] = set()
    for unit in units:
        if unit.speaker != "client" or unit.text.rstrip().endswith("?") or not _PROTECTIVE_CUES.search(unit.text):
            continue
        labels = [label for label, pattern in _PROTECTIVE.items() if pattern.search(unit.text)]
        if not labels:
            continue
        named.update(labels)
        text = f"Protective factors ({', '.join(labels)}): {voice.client_statement(unit.text)}"
        facts.append(Fact("risk", text, [unit.evidence()], "Risk", float(unit.position)))
    for flag in flags:
        missing = [label for label in flag.protective_factors if label not in named]
        if missing:
            named.update(missing)
            text = f"Protective factors named: {', '.join(missing)}."
            facts.append(Fact("risk", text, [_flag_evidence(flag)], "Risk", float(len(units))))
    return facts


def _label_covering(facts: list[Fact], flag: RiskItem) -> None:
    """The client's own sentence of endorsed risk, already a fact, is headed with what it is."""
    if flag.status != "endorsed":
        return
    prefix = f"Risk ({_RISK_LABELS.get(flag.category, flag.category)}): "
    for fact in facts:
        if (
            fact.kind == "risk"
            and not fact.text.startswith("Risk")
            and any(e.quote == flag.quote for e in fact.evidence)
        ):
            fact.text = prefix + fact.text[:1].lower() + fact.text[1:]


def _flag_evidence(flag: RiskItem) -> Evidence:
    source: EvidenceSource = "transcript" if flag.source == "transcript" else "input"
    return Evidence(source=source, start=flag.start, quote=flag.quote, ref=flag.ref)


def _section_draft(section: Section, facts: list[Fact]) -> NoteSection:
    if not facts:
        sentences = [Sentence(text=NO_CONTENT, placeholder=True)]
    else:
        sentences = [Sentence(text=fact.text, supported=True, evidence=fact.evidence) for fact in facts]
    return NoteSection(key=section.key, title=section.title, sentences=sentences)
