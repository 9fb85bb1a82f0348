"""Risk language in the session's own words (transcript and typed inputs), item by item.

This runs on the source material, independently of any language model, so that a model
that misses or softens a statement cannot hide it. Each item says what it is: a category,
a status (the client reports it now, denies it, reports it in the past, mentions it
hypothetically, or reports someone else's risk), for suicide the C-SSRS level the words
allow, and the protective factors the client names nearby.

The engine is spaCy with negspacy: the project's target rules (notes/risk_rules.py) find risk
language, and negspacy's NegEx algorithm, run once per context with that context's trigger
phrases (its own clinical negation lexicon extended for the way clients and clinicians talk),
decides negation, doubt, time, hypothetical context and whose risk it is, sentence by
sentence. medspaCy's ConText would do this in one pass, but on Python 3.11 every medspaCy
release pins spaCy below 3.8 and so NumPy below 2, which the rest of the project has moved past.

Two things a sentence-bound algorithm cannot see are handled here: a qualifier in the
neighbouring sentence ("Sometimes I think X. I would never do anything.") and a short answer
to a clinician's screening question ("Any thoughts of suicide?" "Yes, a few times.").

The pipeline is built once per process, on first use. Nothing here logs text.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from notes import risk_rules as rules
from notes.context import TextInput
from notes.document import SUICIDE_LEVELS, RiskCategory, RiskItem, RiskStatus
from notes.speakers import resolve_speakers
from notes.text import normalize_text, sentence_spans
from transcription.types import Segment

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span

# --- public API ------------------------------------------------------------------------------


def find_risks(
    segments: list[Segment], inputs: Iterable[TextInput], *, speaker_roles: dict[str, str] | None = None
) -> list[RiskItem]:
    """Risk items in the transcript, then in each typed input, in order of the sentences."""
    sources = _transcript_sources(segments, speaker_roles) + _input_sources(inputs)
    if not sources:
        return []
    nlp = pipeline()
    streams: dict[str, list[_Sentence]] = {}
    for source, doc in zip(sources, nlp.pipe(source.text for source in sources), strict=True):
        streams.setdefault(source.stream, []).extend(_sentences(source, doc, _cue_tokens(nlp, doc)))
    items: list[RiskItem] = []
    for sentences in streams.values():
        items.extend(_stream_items(sentences))
    return items


def merge_risks(found: Sequence[RiskItem], from_model: Iterable[RiskItem]) -> list[RiskItem]:
    """All found items (they carry times and status), then model-reported ones that say something new.

    A model's statement is not new when a kept item has its category and one quote contains
    the other (after normalising case and punctuation).
    """
    merged = list(found)
    for item in from_model:
        if not any(_same(item, kept) for kept in merged):
            merged.append(item)
    return merged


def _same(a: RiskItem, b: RiskItem) -> bool:
    if a.category != b.category:
        return False
    qa, qb = normalize_text(a.quote), normalize_text(b.quote)
    return bool(qa and qb) and (qa in qb or qb in qa)


# --- the pipeline ----------------------------------------------------------------------------

_SENTENCES = "intellisession_risk_sentences"
_TARGETS = "intellisession_risk_targets"
_COMPILED = [re.compile(target.pattern, re.IGNORECASE) for target in rules.TARGETS]


_BUILD_LOCK = threading.Lock()


def pipeline() -> Language:
    """The pipeline, built on first use and then shared by every call in the process (threads included)."""
    with _BUILD_LOCK:
        return _build()


@functools.cache
def _build() -> Language:
    """spaCy's blank English pipeline: sentences, the project's targets, one negspacy pass per context."""
    import negspacy.negation  # noqa: F401  (registers the "negex" factory)
    import spacy
    from spacy.tokens import Span

    _register_components()
    Span.set_extension("risk_target", default=-1, force=True)
    nlp = spacy.blank("en")
    nlp.add_pipe(_SENTENCES)
    nlp.add_pipe(_TARGETS)
    for context in rules.CONTEXTS:
        nlp.add_pipe(
            "negex",
            name=f"risk_{context.name}",
            config={
                "neg_termset": _termset(context),
                "extension_name": f"risk_{context.name}",
                "span_keys": [_SPAN_KEY],
            },
        )
    return nlp


def _termset(context: rules.Context) -> dict[str, list[str]]:
    base: dict[str, list[str]] = {
        "pseudo_negations": [],
        "preceding_negations": [],
        "following_negations": [],
        "termination": [],
    }
    if context.extends_library:
        from negspacy.termsets import termset

        library = termset("en_clinical").get_patterns()
        base = {key: [p for p in phrases if p not in rules.LIBRARY_EXCLUDED] for key, phrases in library.items()}
    base["pseudo_negations"] += context.pseudo
    base["preceding_negations"] += context.preceding
    base["following_negations"] += context.following
    base["termination"] += context.termination
    return base


def _register_components() -> None:
    from spacy.language import Language

    if not Language.has_factory(_SENTENCES):
        Language.component(_SENTENCES, func=_split_sentences)
        Language.component(_TARGETS, func=_find_targets)


def _split_sentences(doc: Doc) -> Doc:
    """The product's own sentence boundaries, so that a quote is the sentence the note and its evidence quote."""
    starts = {begin for begin, _ in sentence_spans(doc.text)}
    for token in doc:
        token.is_sent_start = token.i == 0 or token.idx in starts
    return doc


def _find_targets(doc: Doc) -> Doc:
    """Every target rule's matches, in the span group the context passes read.

    Overlapping matches of one kind keep the longest; an idiom silences the risk words inside it;
    matches of different risk kinds are all kept ("hurt the guy who attacked my sister").
    """
    from spacy.util import filter_spans

    found: dict[str, list[Span]] = {}
    for index, pattern in enumerate(_COMPILED):
        kind = rules.TARGETS[index].kind
        for match in pattern.finditer(doc.text):
            span = doc.char_span(match.start(), match.end(), label=kind.upper(), alignment_mode="expand")
            if span is not None and len(span):
                span._.risk_target = index
                found.setdefault(_GROUP.get(kind, kind), []).append(span)
    idioms = filter_spans(found.pop("idiom", []))
    kept = [span for spans in found.values() for span in filter_spans(spans) if not _inside_idiom(span, idioms)]
    # Words inside a longer statement of another kind belong to it ("I wish a truck would hit me").
    kept = [span for span in kept if not any(_contains(other, span) for other in kept)]
    doc.spans[_SPAN_KEY] = sorted(kept, key=lambda span: (span.start, span.end))
    return doc


def _contains(outer: Span, inner: Span) -> bool:
    return outer is not inner and outer.start <= inner.start and inner.end <= outer.end and len(outer) > len(inner)


# Qualifiers compete with the risk words they overlap ("SI with plan" is one statement, not two).
_GROUP = {"plan": "qualifier", "intent": "qualifier", "act": "qualifier"}
_SPAN_KEY = "risk"


def _inside_idiom(span: Span, idioms: list[Span]) -> bool:
    # An idiom silences the risk words it overlaps unless they reach further than it does.
    return any(i.start < span.end and span.start < i.end and len(i) >= len(span) for i in idioms)


def _cue_tokens(nlp: Language, doc: Doc) -> dict[str, set[int]]:
    """Where each context's triggers are, sentence by sentence, for sentences without risk words."""
    cues: dict[str, set[int]] = {}
    for context in (rules.HISTORICAL, rules.RECENT):
        negex: Any = nlp.get_pipe(f"risk_{context}")  # negspacy has no type hints
        preceding, following, _ = negex.process_negations(doc)
        cues[context] = {start for _, start, _ in [*preceding, *following]}
    return cues


# --- sources and sentences -------------------------------------------------------------------

Role = Literal["client", "clinician"]


@dataclass(frozen=True, slots=True)
class _Source:
    """A segment or a typed input: the text given to the pipeline, and where it came from."""

    text: str
    source: Literal["transcript", "input"]
    ref: str
    stream: str
    role: Role
    speaker: str | None = None
    start: float | None = None
    end: float | None = None
    # False when nothing says who spoke: a question is then taken for the clinician's.
    role_known: bool = True


@dataclass(slots=True)
class _Finding:
    kind: str
    status: RiskStatus
    level: str | None
    also_denied_now: bool = False


@dataclass(slots=True)
class _Sentence:
    text: str
    source: _Source
    begin: int
    finish: int
    question: bool
    findings: list[_Finding]
    modifiers: set[str]
    items: list[_Draft] = field(default_factory=list)

    def times(self) -> tuple[float | None, float | None]:
        src = self.source
        if src.start is None or src.end is None:
            return None, None
        length = max(len(src.text), 1)
        span_s = max(src.end - src.start, 0.0)
        return round(src.start + span_s * self.begin / length, 2), round(src.start + span_s * self.finish / length, 2)


@dataclass(slots=True)
class _Draft:
    """A risk item being assembled; turned into a RiskItem at the end."""

    category: RiskCategory
    status: RiskStatus
    level: str | None
    sentence: _Sentence
    context: str | None = None
    recent: bool = False


def _transcript_sources(segments: list[Segment], speaker_roles: dict[str, str] | None) -> list[_Source]:
    roles = resolve_speakers(segments, speaker_roles)
    return [
        _Source(
            s.text,
            "transcript",
            f"segment:{i}",
            "transcript",
            _role(roles.get(s.speaker, "")),
            s.speaker or None,
            s.start,
            s.end,
            role_known=s.speaker in roles,
        )
        for i, s in enumerate(segments)
        if s.text.strip()
    ]


def _role(role: str) -> Role:
    # An unknown speaker is read as the client: their words are then taken at face value.
    return "clinician" if role == "therapist" else "client"


def _input_sources(inputs: Iterable[TextInput]) -> list[_Source]:
    # Typed inputs are the clinician's documentation of the client's words.
    return [_Source(i.text, "input", i.ref, f"input:{i.ref}", "clinician") for i in inputs if i.text.strip()]


def _sentences(source: _Source, doc: Doc, cues: dict[str, set[int]]) -> list[_Sentence]:
    sentences = []
    for sent in doc.sents:
        text = sent.text.strip()
        if not any(ch.isalnum() for ch in text):
            continue
        begin = sent.start_char + (len(sent.text) - len(sent.text.lstrip()))
        targets = [span for span in doc.spans[_SPAN_KEY] if sent.start <= span.start < sent.end]
        findings = [f for span in targets if (f := _finding(span, source.role)) is not None]
        categories = {name for name, tokens in cues.items() if any(sent.start <= t < sent.end for t in tokens)}
        question = text.endswith("?")
        sentences.append(_Sentence(text, source, begin, begin + len(text), question, findings, categories))
    return sentences


# --- one target in its sentence --------------------------------------------------------------

_FIRST_PERSON = re.compile(r"\b(?:i|me|my|myself)\b", re.IGNORECASE)


def _finding(ent: Span, role: Role) -> _Finding | None:
    kind = ent.label_.lower()
    if kind == "idiom":
        return None
    target = rules.TARGETS[ent._.risk_target]
    if target.denial:
        return _Finding(kind, "denied", target.level)
    mods = {context.name for context in rules.CONTEXTS if ent._.get(f"risk_{context.name}")}
    if rules.NEGATED_AFTER in mods:
        mods.add(rules.NEGATED)
    if _FIRST_PERSON.search(ent.text):
        # "My family would be better off if I died" is the speaker's own risk, whoever is named first.
        mods -= {rules.OTHER, rules.THIRD}
    if rules.DENIED_NOW in mods:
        # "Hx of SI, currently denies": the past and today's denial are both documented.
        status = _status(kind, target, mods - {rules.NEGATED}, role)
        return _Finding(kind, status, target.level, also_denied_now=status in ("endorsed", "historical"))
    return _Finding(kind, _status(kind, target, mods, role), target.level)


def _status(kind: str, target: rules.Target, mods: set[str], role: Role) -> RiskStatus:
    """The contexts' verdict for one target, in order of precedence."""
    documentation = role == "clinician"
    if rules.HYPOTHETICAL in mods or rules.CONDITIONAL in mods or (target.who == "generic" and rules.OTHER not in mods):
        return "hypothetical"
    if _other_person(kind, target, mods, documentation):
        return "other_person"
    if rules.POSSIBLE in mods:
        # Doubt is not a denial: "I'm not sure I don't want to kill myself" is reported risk.
        return "endorsed"
    if rules.NEGATED in mods:
        return "denied"
    if rules.HISTORICAL in mods and rules.RECENT not in mods:
        return "historical"
    return "endorsed"


def _other_person(kind: str, target: rules.Target, mods: set[str], documentation: bool) -> bool:
    who = target.who
    if who == "other":
        return True
    if who == "third":
        # In documentation "he"/"she" is the client; for abuse the third person is the victim.
        if documentation:
            return kind != "abuse" and rules.OTHER in mods
        return True
    if target.fixed:
        return False
    return rules.OTHER in mods or (rules.THIRD in mods and not documentation)


# --- items in a stream of sentences ----------------------------------------------------------

_RISK_KINDS = frozenset({"suicide", "self_harm", "harm_to_others", "abuse"})
_MODAL = re.compile(r"\b(?:would|will|'d|'ll|going to|gonna|never|ever|won't|wouldn't)\b", re.IGNORECASE)
_ANAPHORA = re.compile(r"^(?:but )?(?:that|it|this|those|all that|that's|it's)\b", re.IGNORECASE)


def _stream_items(sentences: list[_Sentence]) -> list[RiskItem]:
    for sentence in sentences:
        if not _is_screening_question(sentence):
            sentence.items = _sentence_drafts(sentence)
    for index in range(len(sentences)):
        _link_qualifiers(sentences, index)
        _apply_neighbour_time(sentences, index)
        _answer_question(sentences, index)
    return [_item(draft, sentences) for sentence in sentences for draft in sentence.items]


def _is_screening_question(sentence: _Sentence) -> bool:
    src = sentence.source
    return sentence.question and src.source == "transcript" and (src.role == "clinician" or not src.role_known)


def _sentence_drafts(sentence: _Sentence) -> list[_Draft]:
    """One draft per category and status in the sentence, at the highest level found."""
    drafts: dict[tuple[str, str], _Draft] = {}
    recent = rules.RECENT in sentence.modifiers
    for finding in sentence.findings:
        if finding.kind not in _RISK_KINDS:
            continue
        statuses: list[RiskStatus] = [finding.status, "denied"] if finding.also_denied_now else [finding.status]
        for status in statuses:
            key = (finding.kind, status)
            level = finding.level if finding.kind == "suicide" else None
            if key in drafts:
                drafts[key].level = _higher(drafts[key].level, level)
            else:
                drafts[key] = _Draft(finding.kind, status, level, sentence, recent=recent)  # type: ignore[arg-type]
    return list(drafts.values())


def _higher(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a or b
    return max(a, b, key=SUICIDE_LEVELS.index)  # type: ignore[arg-type]


def _link_qualifiers(sentences: list[_Sentence], index: int) -> None:
    """Plan, intent and "I would never do anything" qualify the risk statement they sit next to."""
    sentence = sentences[index]
    if _is_screening_question(sentence):
        return
    for finding in sentence.findings:
        if finding.kind in _RISK_KINDS:
            continue
        if finding.kind == "act" and finding.status != "denied":
            continue
        if finding.kind == "act" and finding.level and not _MODAL.search(sentence.text):
            continue
        target = _linked_draft(sentences, index)
        if target is None:
            continue
        _qualify(sentence, finding, target)


def _linked_draft(sentences: list[_Sentence], index: int) -> _Draft | None:
    """The risk statement a qualifier refers to: in its sentence, else the one before, else the one after."""
    sentence = sentences[index]
    for other in (index, index - 1, index + 1):
        if not 0 <= other < len(sentences):
            continue
        candidate = sentences[other]
        if candidate.source.speaker != sentence.source.speaker:
            continue
        risky = [d for d in candidate.items if d.status in ("endorsed", "denied", "historical")]
        if risky:
            return risky[-1] if other <= index else risky[0]
    return None


def _qualify(sentence: _Sentence, finding: _Finding, target: _Draft) -> None:
    level = finding.level if target.category == "suicide" else None
    if finding.status == "denied":
        if not any(d.category == target.category and d.status == "denied" and d.level == level for d in sentence.items):
            context = target.sentence.text if target.sentence is not sentence else None
            sentence.items.append(_Draft(target.category, "denied", level, sentence, context=context))
        if target.sentence is not sentence and target.context is None:
            target.context = sentence.text
    elif target.sentence is sentence and target.status == "endorsed" and finding.kind in ("plan", "intent"):
        target.level = _higher(target.level, level)


def _apply_neighbour_time(sentences: list[_Sentence], index: int) -> None:
    """ "I tried to overdose once. That was almost ten years ago." -> the attempt is historical."""
    sentence = sentences[index]
    if index == 0 or sentence.items or rules.HISTORICAL not in sentence.modifiers:
        return
    if not _ANAPHORA.match(sentence.text):
        return
    previous = sentences[index - 1]
    if previous.source.speaker != sentence.source.speaker:
        return
    for draft in previous.items:
        if draft.status == "endorsed" and not draft.recent:
            draft.status = "historical"
            draft.context = draft.context or sentence.text


def _answer_question(sentences: list[_Sentence], index: int) -> None:
    """A short yes or no right after a clinician's screening question answers it."""
    question = sentences[index]
    if not _is_screening_question(question) or index + 1 >= len(sentences):
        return
    answer = sentences[index + 1]
    if answer.source.role != "client" or answer.items:
        return
    text = answer.text.lower().lstrip()
    if re.match(rules.YES_ANSWER, text):
        status: RiskStatus = "historical" if rules.HISTORICAL in answer.modifiers else "endorsed"
    elif re.match(rules.NO_ANSWER, text):
        status = "denied"
    else:
        return
    answer.items.extend(
        _Draft(d.category, status, d.level, answer, context=question.text) for d in _sentence_drafts(question)
    )


def _item(draft: _Draft, sentences: list[_Sentence]) -> RiskItem:
    sentence = draft.sentence
    src = sentence.source
    start, end = sentence.times()
    factors = _protective_factors(draft, sentences) if draft.category in ("suicide", "self_harm") else ()
    return RiskItem(
        category=draft.category,
        status=draft.status,
        level=draft.level,  # type: ignore[arg-type]
        quote=sentence.text,
        source=src.source,
        ref=src.ref,
        start=start,
        end=end,
        speaker=src.speaker,
        protective_factors=factors,
        context=draft.context,
    )


_PROTECTIVE_CUES = re.compile(rules.PROTECTIVE_CUES, re.IGNORECASE)
_PROTECTIVE = {label: re.compile(pattern, re.IGNORECASE) for label, pattern in rules.PROTECTIVE_FACTORS.items()}


def _protective_factors(draft: _Draft, sentences: list[_Sentence]) -> tuple[str, ...]:
    """Reasons for living and supports the same speaker names in this sentence or the two either side."""
    index = sentences.index(draft.sentence)
    nearby = sentences[max(index - 2, 0) : index + 3]
    found: list[str] = []
    for sentence in nearby:
        if sentence.source.speaker != draft.sentence.source.speaker or not _PROTECTIVE_CUES.search(sentence.text):
            continue
        found.extend(label for label, pattern in _PROTECTIVE.items() if pattern.search(sentence.text))
    return tuple(dict.fromkeys(found))
