"""Plain data for a note draft, shared text helpers, and the offline drafter.

Nothing here touches the database. The offline drafter is used when no language
model endpoint is configured: it selects sentences verbatim from the transcript
and the typed inputs and places each under the section whose role it fits. It
never writes a sentence of its own apart from the explicit "no content" marker.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from notes.styles import Section, Style
from transcription.types import Segment

if TYPE_CHECKING:
    from notes.risk import RiskItem

EvidenceSource = Literal["transcript", "input", "prior_note"]
RiskCategory = Literal["suicide", "self_harm", "harm_to_others", "abuse"]
RiskSource = Literal["transcript", "input", "llm"]
# "discussed" is the offline drafter's own: the goal came up, but judging progress needs a writer.
GoalStatus = Literal["progressing", "no_change", "regressing", "met", "not_addressed", "discussed"]
InputKind = Literal["session_summary", "pre_session", "post_session", "dictation"]
InstructionLevel = Literal["general", "template", "client", "note"]
EngineName = Literal["llm", "offline"]

RISK_CATEGORIES: tuple[RiskCategory, ...] = ("suicide", "self_harm", "harm_to_others", "abuse")
GOAL_STATUSES: tuple[GoalStatus, ...] = ("progressing", "no_change", "regressing", "met", "not_addressed")
INSTRUCTION_LEVELS: tuple[InstructionLevel, ...] = ("general", "template", "client", "note")

NO_CONTENT = "No relevant content in the recording or inputs."
OFFLINE_NOTICE = (
    "Offline draft: no language model was used. Every sentence below was selected word for word from the "
    "session transcript or the typed inputs and placed under a heading by simple rules; nothing was written "
    "or summarised. Goals are marked discussed when the session touched on them; progress was not judged. "
    "Review, rewrite and complete each section before signing."
)


# --- inputs -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TextInput:
    """A typed input for this session (summary, pre/post-session notes, dictation)."""

    kind: InputKind
    text: str
    ref: str


@dataclass(frozen=True, slots=True)
class PriorNote:
    """A signed earlier note of the same client; `date` is ISO (YYYY-MM-DD)."""

    ref: str
    date: str
    text: str


@dataclass(frozen=True, slots=True)
class Goal:
    """A treatment goal; `ref` is the id the model reports progress against."""

    ref: str
    description: str
    target: str = ""


@dataclass(frozen=True, slots=True)
class Instruction:
    """A custom instruction and the level it was set at."""

    level: InstructionLevel
    text: str


@dataclass(slots=True)
class NoteContext:
    """Everything a note is written from. `prior_notes` are newest first."""

    style: Style
    segments: list[Segment] = field(default_factory=list)
    inputs: list[TextInput] = field(default_factory=list)
    prior_notes: list[PriorNote] = field(default_factory=list)
    goals: list[Goal] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    instructions: list[Instruction] = field(default_factory=list)
    speaker_roles: dict[str, str] | None = None


# --- outputs ----------------------------------------------------------------


@dataclass(slots=True)
class Evidence:
    """A piece of source text that supports a sentence; times only for transcript evidence."""

    source: EvidenceSource
    start: float | None
    end: float | None
    quote: str
    ref: str = ""


@dataclass(slots=True)
class Sentence:
    """One sentence of a note. `placeholder` marks the "no content" marker; `issue` says why unsupported."""

    text: str
    supported: bool
    evidence: list[Evidence] = field(default_factory=list)
    placeholder: bool = False
    issue: str = ""


@dataclass(slots=True)
class SectionDraft:
    key: str
    title: str
    sentences: list[Sentence] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The section as one paragraph."""
        return " ".join(s.text for s in self.sentences)


@dataclass(slots=True)
class RiskFlag:
    """Risk language found in the session. `negated` means it was denied or ruled out; still shown."""

    category: RiskCategory
    quote: str
    start: float | None
    source: RiskSource
    negated: bool = False
    ref: str = ""


@dataclass(slots=True)
class GoalProgress:
    goal_id: str
    status: GoalStatus
    evidence_quote: str


@dataclass(slots=True)
class ContextReport:
    """What of the available context went into the prompt, so the note can record what was left out."""

    prior_note_ids_used: list[str] = field(default_factory=list)
    prior_notes_shortened: list[str] = field(default_factory=list)
    prior_notes_omitted: list[str] = field(default_factory=list)
    transcript_shortened: bool = False
    instructions: list[str] = field(default_factory=list)
    transcript_segments_omitted: int = 0
    approx_tokens: int = 0


@dataclass(slots=True)
class NoteDraft:
    """A generated note before the clinician edits it. `context` is None for offline drafts (no prompt)."""

    sections: list[SectionDraft]
    themes: list[str]
    goal_progress: list[GoalProgress]
    risk_flags: list[RiskItem]
    engine: EngineName
    offline_notice: str | None
    context: ContextReport | None = None
    model: str = ""


# --- text helpers shared by drafting, grounding and risk ---------------------

# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) before whitespace.
_SENTENCE_END = re.compile(r"[.!?]+[\"')\]]*(?=\s|$)|\n+")
_ABBREVIATIONS = frozenset({"dr", "mr", "mrs", "ms", "st", "vs", "etc", "e.g", "i.e", "approx", "no", "jr", "sr"})


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences in `text`, trimmed, in order."""
    spans: list[tuple[int, int]] = []
    begin = 0
    for match in _SENTENCE_END.finditer(text):
        if _ends_in_abbreviation(text, begin, match.start()):
            continue
        spans.append((begin, match.end()))
        begin = match.end()
    spans.append((begin, len(text)))
    return [trimmed for span in spans if (trimmed := _trim(text, span))]


def _ends_in_abbreviation(text: str, begin: int, dot: int) -> bool:
    if text[dot : dot + 1] != ".":
        return False
    words = text[begin:dot].split()
    if not words:
        return False
    last = words[-1].lower().lstrip("(\"'")
    return last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha())


def _trim(text: str, span: tuple[int, int]) -> tuple[int, int] | None:
    start, end = span
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    # Bullets and stray punctuation are not sentences.
    return (start, end) if any(ch.isalnum() for ch in text[start:end]) else None


def split_sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


# Digits and letters are separate words so that "50mg" and "50 mg", "1st" and "1 st" tokenise alike.
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|[0-9]+(?:\.[0-9]+)?")
_NUMBER_WORDS = {
    word: str(value)
    for value, word in enumerate(
        (
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        )
    )
}
_NUMBER_WORDS.update({"thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70"})
_NUMBER_WORDS.update({"eighty": "80", "ninety": "90", "hundred": "100", "thousand": "1000", "once": "1", "twice": "2"})
# "second" is left out on purpose: "a second" and "second thought" are not numbers.
_NUMBER_WORDS.update({"first": "1", "third": "3", "fourth": "4", "fifth": "5", "sixth": "6", "tenth": "10"})

# A word list reads better as one string than as 170 quoted items.
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having he
    her here hers herself him himself his how i if in into is it its itself just me more most my myself of off on
    once only or other our ours out over own same she should so some such than that the their theirs them then
    there these they this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours yourself it's i'm i've i'd i'll you're you've that's there's he's
    she's we're they're let's really um uh oh okay ok yeah well like just kind sort lot get got go going went
    client patient therapist clinician counselor writer session report reported reports state stated states say
    said says discuss discussed explore explored note noted express expressed describe described indicate
    indicated mention mentioned share shared st nd rd th""".split()  # noqa: SIM905
)
NEGATIONS = frozenset({"not", "no", "never", "nothing", "none", "nobody", "neither", "nor", "without", "cannot"})
NEGATION_STEMS = ("deny", "denie", "denied", "refus")


def words(text: str) -> list[str]:
    """Lower-case word tokens with apostrophes normalised; keeps "n't" contractions intact."""
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def normalize_number(word: str) -> str | None:
    """The digits a token stands for ("three" -> "3", "first" -> "1"), or None if it is not a number."""
    if word in _NUMBER_WORDS:
        return _NUMBER_WORDS[word]
    return word if word[:1].isdigit() else None


# Irregular past forms common in session talk; suffix stripping cannot reach them.
_IRREGULAR = {
    "slept": "sleep", "felt": "feel", "spent": "spend", "took": "take", "ate": "eat", "drank": "drink",
    "thought": "think", "told": "tell", "made": "make", "left": "leave", "kept": "keep", "began": "begin",
    "came": "come", "saw": "see", "met": "meet", "lost": "lose", "fought": "fight", "brought": "bring",
    "bought": "buy", "wrote": "write", "written": "write", "spoke": "speak", "drove": "drive", "ran": "run",
    "woke": "wake", "forgot": "forget", "gave": "give", "knew": "know", "hurt": "hurt", "sat": "sit",
}  # fmt: skip


def stem(word: str) -> str:
    """A crude stemmer: enough to match "emails"/"emailed" or "slept"/"sleeping" without a dependency."""
    number = normalize_number(word)
    if number is not None:
        return number
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    word = word.removesuffix("'s")
    for suffix in ("ingly", "edly", "ing", "ied", "ies", "ed", "es", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix in ("ied", "ies") else "")
    return word


def content_tokens(text: str) -> list[str]:
    """Stemmed tokens that carry meaning (no stopwords, no negations)."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and not is_negation(w)]


def is_negation(word: str) -> bool:
    return word in NEGATIONS or word.endswith("n't") or word.startswith(NEGATION_STEMS)


def has_negation(text: str) -> bool:
    return any(is_negation(w) for w in words(text))


def normalize_text(text: str) -> str:
    """Lower case, words only, single spaces: for verbatim comparisons that ignore punctuation."""
    return " ".join(words(text))


# --- source units -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TextUnit:
    """One sentence of source material, with where it came from.

    `stream` groups units that follow each other (the transcript, or one input or
    prior note) so that neighbours can be found; `position` is the order within it.
    """

    text: str
    source: EvidenceSource
    ref: str
    start: float | None
    end: float | None
    speaker: str
    stream: str
    position: int
    kind: str = ""

    def evidence(self) -> Evidence:
        return Evidence(source=self.source, start=self.start, end=self.end, quote=self.text, ref=self.ref)


THERAPIST_ROLES = frozenset({"therapist", "clinician", "counselor", "counsellor", "provider", "psychologist"})
NAMED_ROLES = THERAPIST_ROLES | {"client", "patient"}


def transcript_units(segments: list[Segment], speaker_roles: dict[str, str] | None) -> list[TextUnit]:
    """Split segments into sentences, interpolating times by character position within each segment."""
    roles = resolve_speakers(segments, speaker_roles)
    units: list[TextUnit] = []
    for index, segment in enumerate(segments):
        length = max(len(segment.text), 1)
        span_s = max(segment.end - segment.start, 0.0)
        for a, b in sentence_spans(segment.text):
            start = round(segment.start + span_s * a / length, 2)
            end = round(segment.start + span_s * b / length, 2)
            speaker = roles.get(segment.speaker) or _guess_role(segment.text[a:b])
            units.append(
                TextUnit(
                    segment.text[a:b], "transcript", f"segment:{index}", start, end, speaker, "transcript", len(units)
                )
            )
    return units


def input_units(inputs: Iterable[TextInput]) -> list[TextUnit]:
    units: list[TextUnit] = []
    for item in inputs:
        for position, sentence in enumerate(split_sentences(item.text)):
            units.append(
                TextUnit(sentence, "input", item.ref, None, None, "", f"input:{item.ref}", position, item.kind)
            )
    return units


def prior_note_units(notes: Iterable[PriorNote]) -> list[TextUnit]:
    units: list[TextUnit] = []
    for note in notes:
        for position, sentence in enumerate(split_sentences(note.text)):
            units.append(TextUnit(sentence, "prior_note", note.ref, None, None, "", f"prior:{note.ref}", position))
    return units


def resolve_speakers(segments: list[Segment], speaker_roles: dict[str, str] | None) -> dict[str, str]:
    """Map each speaker label to "therapist" or "client" from the given roles, else by a heuristic.

    A speaker the clinician named by role ("Therapist", "Client") has that role, and with two
    speakers the other one has the other role. Otherwise, among labelled speakers, the one whose
    sentences most often look like a clinician's (questions, second person) is the therapist;
    everyone else is a client.
    """
    if speaker_roles:
        return {label: _normalize_role(role) for label, role in speaker_roles.items()}
    by_label: dict[str, list[str]] = {}
    for segment in segments:
        if segment.speaker:
            by_label.setdefault(segment.speaker, []).extend(split_sentences(segment.text))
    named = {label: _normalize_role(label) for label in by_label if label.strip().lower() in NAMED_ROLES}
    if named:
        if len(by_label) == 2 and len(named) == 1:
            (role,) = named.values()
            named.update({label: "client" if role == "therapist" else "therapist"
                          for label in by_label if label not in named})
        return named
    if len(by_label) < 2:
        return {}
    share = {
        label: sum(_guess_role(s) == "therapist" for s in sents) / len(sents)
        for label, sents in by_label.items()
        if sents
    }
    therapist = max(share, key=lambda label: share[label])
    return {label: "therapist" if label == therapist else "client" for label in by_label}


def _normalize_role(role: str) -> str:
    role = role.strip().lower()
    return "therapist" if role in THERAPIST_ROLES else "client" if role else ""


_SECOND_PERSON = re.compile(r"\b(you|your|you're|you've|yourself)\b", re.IGNORECASE)
_FIRST_PERSON = re.compile(r"\b(i|i'm|i've|i'd|i'll|my|me|myself|we|our|us)\b", re.IGNORECASE)


def _guess_role(sentence: str) -> str:
    """Per-sentence guess when no speaker information exists: clinicians ask and address the client."""
    if sentence.rstrip().endswith("?") or _SECOND_PERSON.search(sentence):
        return "therapist"
    return "client" if _FIRST_PERSON.search(sentence) else ""


# --- offline drafter --------------------------------------------------------


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
    # Imported here because risk.py builds on the dataclasses and helpers above.
    from notes.risk import find_risks

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
        "account": (2.0 * client + 1.0 * bool(_FIRST_PERSON.search(text)) + typed) * (not question),
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
