"""The offline drafter, used when no language model endpoint is configured.

It selects sentences verbatim from the transcript and the typed inputs and places each
under the section whose role it fits. It never writes a sentence of its own apart from
the explicit "no content" marker.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from notes.context import Goal, NoteContext
from notes.document import NO_CONTENT, GoalProgress, NoteDraft, SectionDraft, Sentence
from notes.risk import find_risks
from notes.sources import TextUnit, input_units, transcript_units
from notes.speakers import FIRST_PERSON
from notes.styles import Section
from notes.text import content_tokens

OFFLINE_NOTICE = (
    "Offline draft: no language model was used. Every sentence below was selected word for word from the "
    "session transcript or the typed inputs and placed under a heading by simple rules; nothing was written "
    "or summarised. Goals are marked discussed when the session touched on them; progress was not judged. "
    "Review, rewrite and complete each section before signing."
)


def _cue(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_PLAN_CUES = _cue(
    r"\b(homework|assignment|next (?:week|session|time|appointment|month)|this week|until we meet|"
    r"each (?:day|evening|morning|night)|every (?:day|evening|morning|night)|will|i'll|going to|plan(?:s|ned)?|"
    r"agree[ds]?|practi[cs]e|schedul\w*|follow[- ]up|refer(?:ral|red)?|journal\w*|would you|could you|try)\b"
)
_TECHNIQUE_CUES = _cue(
    r"\b(reflect\w*|validat\w*|explor\w*|refram\w*|cbt|dbt|mindful\w*|breath\w*|grounding|psychoeducation|"
    r"role[- ]play\w*|cognitive|thought record|exposure|relaxation|coping|skills?|normali[sz]\w*|summari[sz]\w*|"
    r"encourag\w*|socratic|motivational|emdr|it sounds like|that sounds|i hear|what i'?m hearing|"
    r"you mentioned|you have been|you've been|you said)\b"
)
_FEELING_CUES = _cue(
    r"\b(feel|felt|feeling|sad|good|better|worse|helpful|helped|laugh\w*|cried|cry|tearful|relieved|anxious|"
    r"angry|hopeful|calm|understand|yes|makes sense|i can|i will|i'll|willing|okay|agreed)\b"
)
_OBSERVATION_CUES = _cue(
    r"\b(appear(?:ed|s)?|present(?:ed|s)|affect|mood|eye contact|oriented|speech|groomed|dressed|tearful|alert|"
    r"agitated|restless|psychomotor|observed|arrived|on time|cooperative|engaged|fidget\w*|phq-?9|gad-?7|score)\b"
)
_ASSESSMENT_CUES = _cue(
    r"\b(progress\w*|improv\w*|big step|step|insight|consistent with|symptoms?|diagnos\w*|criteria|strengths?|"
    r"barriers?|seems?|suggests?|likely|continues to|motivat\w*|meaningful|important)\b"
)
_SMALL_TALK = _cue(r"^\W*(good (?:morning|afternoon|evening)|hi|hello|hey|thanks|thank you|bye|goodbye|see you)\b")
_GOAL_CUES = _cue(r"\b(goals?|working toward\w*|objectives?|target|treatment plan)\b")
_PROGRESS_CUES = _cue(r"\b(progress\w*|improv\w*|better|worse|achiev\w*|managed|started|step|back to|since)\b")
_HISTORY_CUES = _cue(
    r"\b(ago|years?|childhood|grew up|history|used to|when i was|previous\w*|past|diagnosed|hospital\w*|"
    r"death|died|passed away|anniversary)\b"
)
_PROBLEM_CUES = _cue(
    r"\b(struggl\w*|difficult\w*|hard|problems?|issues?|stress\w*|anxi\w*|depress\w*|sad|worr\w*|can't|cannot|"
    r"trouble|overwhelm\w*|panic\w*|sleep\w*|in bed|lonel\w*|grie\w*|anniversary|death|conflict|angry|upset)\b"
)
_MEDICAL_CUES = _cue(
    r"\b(medications?|meds|mg|doctor|physician|psychiatrist|prescri\w*|pain|sleep\w*|appetite|health|"
    r"sertraline|fluoxetine|escitalopram|bupropion|lithium|quetiapine|trazodone|pills?)\b"
)
_SUBSTANCE_CUES = _cue(
    r"\b(alcohol|drink\w*|drunk|beers?|wine|cannabis|marijuana|weed|smok\w*|vap\w*|drugs?|substances?|sober\w*|"
    r"opioids?|cocaine)\b"
)
_SOCIAL_CUES = _cue(
    r"\b(family|brother|sister|mother|mom|father|dad|parents?|partner|wife|husband|friends?|work|job|manager|"
    r"boss|school|relationship|children|kids|son|daughter|live with|housing)\b"
)

# For each section role: which sentence kinds fit it, and how well (1.0 = exactly).
ROLE_KINDS: dict[str, dict[str, float]] = {
    "client_account": {"account": 1.0},
    "observation": {"observation": 1.0, "intervention": 0.75},
    "data": {"account": 1.0, "observation": 1.0, "intervention": 0.9, "response": 0.9},
    "intervention": {"intervention": 1.0},
    "response": {"response": 1.0},
    "assessment": {"assessment": 1.0, "progress": 0.9, "risk": 0.8},
    "plan": {"plan": 1.0},
    "goals": {"goals": 1.0},
    "problem": {"problem": 1.0, "account": 0.8},
    "history": {"history": 1.0},
    "progress": {"progress": 1.0, "goals": 0.8},
    "medical": {"medical": 1.0},
    "substance": {"substance": 1.0},
    "social": {"social": 1.0},
    "risk": {"risk": 1.0},
    "mental_status": {"observation": 1.0},
    "summary": {"account": 1.0, "intervention": 0.9, "response": 0.9, "plan": 0.9, "assessment": 0.9},
}
MIN_SCORE = 1.5
MIN_PER_SECTION = 6  # cap on sentences per section for a short session...
MAX_PER_SECTION = 15  # ...growing with length up to this, so a long session is not cut to a few lines
UNITS_PER_EXTRA = 40


@dataclass(slots=True)
class _Scored:
    unit: TextUnit
    kinds: dict[str, float]
    relevance: float


def offline_draft(ctx: NoteContext) -> NoteDraft:
    """Fill every section of the style with verbatim sentences from the transcript and inputs."""
    units = transcript_units(ctx.segments, ctx.speaker_roles) + input_units(ctx.inputs)
    flags = find_risks(ctx.segments, ctx.inputs)
    risky = {(flag.quote, flag.start) for flag in flags}
    scored = _score_units(units, ctx, risky)
    chosen = _place(scored, ctx.style.sections)
    sections = [_section_draft(section, chosen[section.key]) for section in ctx.style.sections]
    return NoteDraft(
        sections=sections,
        themes=_mentioned_themes(ctx.themes, units),
        goal_progress=_goals_discussed(ctx.goals, units),
        risk_flags=flags,
        engine="offline",
        offline_notice=OFFLINE_NOTICE,
    )


def _goals_discussed(goals: list[Goal], units: list[TextUnit]) -> list[GoalProgress]:
    """Each active goal, with the sentence that speaks to it most (two or more shared words), if any."""
    progress = []
    for goal in goals:
        wanted = set(content_tokens(f"{goal.description} {goal.target}"))
        best = max(units, key=lambda unit: len(wanted & set(content_tokens(unit.text))), default=None)
        if best is not None and len(wanted & set(content_tokens(best.text))) >= 2:
            progress.append(GoalProgress(goal.ref, "discussed", best.text))
        else:
            progress.append(GoalProgress(goal.ref, "not_addressed", ""))
    return progress


def _score_units(units: list[TextUnit], ctx: NoteContext, risky: set[tuple[str, float | None]]) -> list[_Scored]:
    goal_words = {t for goal in ctx.goals for t in content_tokens(f"{goal.description} {goal.target}")}
    theme_words = {t for theme in ctx.themes for t in content_tokens(theme)}
    scored: list[_Scored] = []
    previous_speaker = ""
    for unit in units:
        tokens = set(content_tokens(unit.text))
        small_talk = _SMALL_TALK.match(unit.text) is not None and len(tokens) <= 3
        kinds = {} if small_talk else _kind_scores(unit, previous_speaker, tokens & goal_words)
        if any(quote in unit.text and start == unit.start for quote, start in risky):
            kinds["risk"] = 3.0
        relevance = 0.1 * min(len(tokens), 10) + 0.3 * len(tokens & (goal_words | theme_words))
        scored.append(_Scored(unit, kinds, relevance))
        previous_speaker = unit.speaker if unit.source == "transcript" else previous_speaker
    return scored


def _kind_scores(unit: TextUnit, previous_speaker: str, goal_overlap: set[str]) -> dict[str, float]:
    text = unit.text
    therapist, client = unit.speaker == "therapist", unit.speaker == "client"
    question = text.rstrip().endswith("?")
    typed = {"session_summary": 1.5, "dictation": 1.0}.get(unit.kind, 0.0)
    plan_hits = len(_PLAN_CUES.findall(text))
    return {
        "account": (2.0 * client + 1.0 * bool(FIRST_PERSON.search(text)) + typed) * (not question),
        "observation": 2.0 * _has(_OBSERVATION_CUES, text) + 1.5 * (unit.kind == "pre_session"),
        "intervention": therapist
        + 1.5 * question * (not client)
        + 1.5 * _has(_TECHNIQUE_CUES, text)
        + 0.5 * _has(_TECHNIQUE_CUES, text) * (unit.source == "input"),
        "response": (2.0 * (client and previous_speaker == "therapist") + 1.5 * _has(_FEELING_CUES, text))
        * (not therapist),
        "assessment": 1.5 * (therapist and not question)
        + _has(_ASSESSMENT_CUES, text)
        + 1.5 * (unit.kind == "post_session"),
        "plan": (2.0 + 0.5 * min(plan_hits - 1, 3) + 0.5 * client) if plan_hits else 0.0,
        "goals": 2.0 * bool(goal_overlap) + 1.5 * _has(_GOAL_CUES, text),
        "progress": 1.5 * _has(_PROGRESS_CUES, text) + 1.0 * bool(goal_overlap),
        "problem": (2.0 * _has(_PROBLEM_CUES, text) + 1.0 * client) * (not question),
        "history": (2.0 * _has(_HISTORY_CUES, text)) * (not question),
        "medical": 2.0 * _has(_MEDICAL_CUES, text),
        "substance": 2.0 * _has(_SUBSTANCE_CUES, text),
        "social": (2.0 * _has(_SOCIAL_CUES, text)) * (not question),
    }


def _has(pattern: re.Pattern[str], text: str) -> bool:
    return pattern.search(text) is not None


def _role_score(item: _Scored, role: str) -> float:
    weights = ROLE_KINDS.get(role, ROLE_KINDS["summary"])
    fit = max((item.kinds.get(kind, 0.0) * weight for kind, weight in weights.items()), default=0.0)
    return fit + item.relevance if fit >= MIN_SCORE else 0.0


def _place(scored: list[_Scored], sections: tuple[Section, ...]) -> dict[str, list[_Scored]]:
    """Give each sentence to the section it fits best; an empty section may borrow its best fit."""
    chosen: dict[str, list[_Scored]] = {section.key: [] for section in sections}
    for item in scored:
        scores = [_role_score(item, section.role) for section in sections]
        best = max(range(len(sections)), key=lambda i: scores[i])
        if scores[best] > 0:
            chosen[sections[best].key].append(item)
    for section in sections:
        if not chosen[section.key]:
            chosen[section.key] = [item for item in scored if _role_score(item, section.role) > 0]
    limit = min(max(MIN_PER_SECTION, len(scored) // UNITS_PER_EXTRA), MAX_PER_SECTION)
    return {section.key: _top(chosen[section.key], section.role, limit) for section in sections}


def _top(items: list[_Scored], role: str, limit: int) -> list[_Scored]:
    limit = 2 * limit if role == "summary" else limit  # a one-section narrative carries the whole session
    order: Callable[[_Scored], float] = lambda item: _role_score(item, role)  # noqa: E731
    best = sorted(items, key=order, reverse=True)[:limit]
    keep = {id(item) for item in best}
    return [item for item in items if id(item) in keep]  # original (spoken) order


def _section_draft(section: Section, items: list[_Scored]) -> SectionDraft:
    if not items:
        marker = Sentence(text=NO_CONTENT, supported=False, placeholder=True)
        return SectionDraft(section.key, section.title, [marker])
    sentences = [Sentence(text=item.unit.text, supported=True, evidence=[item.unit.evidence()]) for item in items]
    return SectionDraft(section.key, section.title, sentences)


def _mentioned_themes(themes: list[str], units: list[TextUnit]) -> list[str]:
    """Keep the client's known themes that the session actually touches (at least half their words)."""
    present = {t for unit in units for t in content_tokens(unit.text)}
    kept: list[str] = []
    for theme in themes:
        tokens = set(content_tokens(theme))
        if tokens and len(tokens & present) * 2 >= len(tokens):
            kept.append(theme)
    return kept
