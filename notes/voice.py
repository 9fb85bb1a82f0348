"""The client's words in the clinical third person, without adding anything.

"I missed two doses of my sertraline because I felt dizzy." becomes "Client reported missing
two doses of their sertraline because they felt dizzy.": pronouns are swapped, the verb after
the opening "I" becomes a gerund (lemminflect finds the lemma and its -ing form, so there is
no hand-made verb table), and "they" keeps the first person's verb forms ("I feel" -> "they
feel") except for "am"/"was". A sentence that cannot be converted safely (it speaks to "you",
says "we", quotes someone, or asks something) is quoted instead: 'Client stated: "..."'.
"""

from __future__ import annotations

import re
from functools import lru_cache

import lemminflect  # type: ignore[import-untyped]

from notes.text import STOPWORDS

CLIENT_PRONOUNS = {
    "i": "they", "me": "them", "my": "their", "mine": "theirs", "myself": "themselves",
    "i'm": "they are", "i've": "they have", "i'll": "they will", "i'd": "they would",
}  # fmt: skip
SECOND_PERSON = {
    "you": "they", "your": "their", "yours": "theirs", "yourself": "themselves",
    "you're": "they are", "you've": "they have", "you'll": "they will", "you'd": "they would",
}  # fmt: skip
# Verbs after "I" that must not become gerunds: auxiliaries, modals, and hedges.
_NO_GERUND = frozenset(
    """am was were have has had do did does can could will would should shall may might must used
    don't didn't can't couldn't won't wouldn't haven't hadn't think guess mean know""".split()  # noqa: SIM905
)
_ADVERBS = frozenset("still also just only usually often never always really actually probably sometimes".split())  # noqa: SIM905
_HEDGES = re.compile(
    r"^(?:(?:honestly|sorry|but|and|i'd say|i would say|i think|i guess|i mean|i feel like|maybe|probably|so|well|"
    r"um|uh|yeah|okay|oh|like|you know)[,]?\s+)+",
    re.IGNORECASE,
)
_UNSAFE = re.compile(r"\b(?:we|us|our|ours|ourselves|we're|we've|we'll|we'd)\b|[\"?\u201c\u201d]", re.IGNORECASE)
_YOU = re.compile(r"\b(?:you|your|yours|yourself|you're|you've|you'll|you'd)\b", re.IGNORECASE)
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'd|i'll|me|my|mine|myself)\b(?!-)", re.IGNORECASE)


def clean(sentence: str) -> str:
    """The sentence without leading hedges and fillers ("Honestly,", "I'd say", "Um,")."""
    stripped = _HEDGES.sub("", sentence.strip())
    return _capital(stripped) if stripped else sentence.strip()


def quote(sentence: str, verb: str = "stated") -> str:
    return f'Client {verb}: "{sentence.strip()}"'


def client_statement(sentence: str, frame: str = "reported") -> str:
    """The client's sentence as "Client <frame> ...", or quoted when it cannot be converted safely."""
    text = clean(sentence)
    body = third_person(text)
    if body is None:
        return quote(sentence)
    gerund = _gerund_clause(body, text)
    if gerund is not None:
        return f"Client {frame} {gerund}"
    if not is_clause(text):
        return quote(sentence)
    return f"Client {frame} that {_lower_first(body)}"


def fragment(sentence: str) -> str | None:
    """An answer's words in the third person, for use after a label ("Sleep: ..."); None if unsafe."""
    text = clean(sentence)
    body = third_person(text)
    if body is None:
        return None
    gerund = _gerund_clause(body, text)
    if gerund is not None:
        return f"Client reported {gerund}" if _past_opening(text) else _capital(gerund)
    return f"Client reported that {_lower_first(body)}" if _starts_with_subject(text) else body


def third_person(text: str) -> str | None:
    """First person swapped for the third; None when the sentence cannot be converted safely."""
    if _UNSAFE.search(text) or _YOU.search(text):
        return None
    text = _AND_I.sub(_they_and, text)
    text = _I_HAD.sub(lambda m: f"{_case('they', m.group(0), m.start())} had", text)
    text = _I_AGREEING.sub(lambda m: f"{_case('they', m.group(0), m.start())} {_AGREES[m.group(1).lower()]}", text)
    return _CLIENT_WORDS.sub(lambda m: _case(CLIENT_PRONOUNS[_norm(m.group(0))], m.group(0), m.start()), text)


def second_to_third(text: str) -> str | None:
    """A clinician's words to the client ("schedule two walks with your dog") in the third person."""
    if _FIRST_PERSON.search(text) or re.search(r"[\"\u201c\u201d]", text):
        return None
    text = re.sub(r"\bour next session\b", "the next session", text, flags=re.IGNORECASE)
    if re.search(r"\b(?:we|us|our|ours|let's)\b", text, re.IGNORECASE):
        return None
    return _YOU_WORDS.sub(lambda m: _you(m, text), text)


_SUBJECT_BEFORE = re.compile(
    r"(?:^|[,;:]|\b(?:and|or|but|when|whenever|if|that|what|until|because|so|while|before|after|where|how))\s*$",
    re.IGNORECASE,
)


def _you(match: re.Match[str], text: str) -> str:
    """ "you" is "they" as a subject ("when you come back") and "them" as an object ("refer you")."""
    word = _norm(match.group(0))
    if word == "you" and not _SUBJECT_BEFORE.search(text[: match.start()]) and not _verb_follows(match, text):
        return "them"
    return _case(SECOND_PERSON[word], match.group(0), match.start())


_OBJECT_BEFORE = frozenset(
    """to for with at about from of on in by help let make see watch hear have ask tell remind get give call refer
    send show teach join meet bring drive take""".split()  # noqa: SIM905
)
_AUX_AFTER = frozenset("can could will would should might may must do did does are were have had".split())  # noqa: SIM905


def _verb_follows(match: re.Match[str], text: str) -> bool:
    """ "each time you want to skip" is a subject (a verb follows); "help you sleep" stays an object."""
    before = re.findall(r"[\w'\u2019]+", text[: match.start()])
    after = re.match(r"\s+([a-z'\u2019]+)", text[match.end() :])
    if after is None or (before and before[-1].lower() in _OBJECT_BEFORE):
        return False
    word = after.group(1)
    if word in _AUX_AFTER:
        return True
    return "VERB" in lemminflect.getAllLemmas(word)


def has_first_person(text: str) -> bool:
    """First person outside quotation marks ("I-statements" is a term, not the first person)."""
    outside = re.sub(r'"[^"]*"', "", text)
    return _FIRST_PERSON.search(outside) is not None


def _norm(word: str) -> str:
    return word.lower().replace("\u2019", "'")


def _case(replacement: str, original: str, position: int = 0) -> str:
    """Capitalised only at the start of the sentence ("I" is capital everywhere, "they" is not)."""
    return _capital(replacement) if position == 0 and original[:1].isupper() else replacement


_WORDS_AFTER = r"(?![\w'\u2019-])"
# "Jordan and I argued" / "My mom and I keep" -> "I and Jordan ..." before the swap: "they and Jordan argued".
_AND_I = re.compile(r"(?<![\w-])((?:[Mm]y [a-z]+|[A-Z][a-z]+)) and I(?= [a-z])")


def _they_and(match: re.Match[str]) -> str:
    other = match.group(1)
    other = other[:1].lower() + other[1:] if other.startswith("My ") else other
    return f"{_case('I', match.group(0), match.start())} and {other}"


_I_HAD = re.compile(r"(?<![\w-])I['\u2019]d(?= (?:been|gone|had|never|already)\b)")
_I_AGREEING = re.compile(r"(?<![\w-])I (am|was|wasn't)\b")
_AGREES = {"am": "are", "was": "were", "wasn't": "weren't"}
_CLIENT_WORDS = re.compile(r"(?<![\w-])(?:I['\u2019](?:m|ve|ll|d)|I|[Mm]e|[Mm]y|[Mm]ine|[Mm]yself)" + _WORDS_AFTER)
_YOU_WORDS = re.compile(
    r"(?<![\w-])(?:you['\u2019](?:re|ve|ll|d)|yours(?:elf)?|your|you)" + _WORDS_AFTER, re.IGNORECASE
)


def _gerund_clause(body: str, original: str) -> str | None:
    """ "they missed two doses ..." -> "missing two doses ..." when the opening verb allows it."""
    progressive = _PROGRESSIVE.match(body)
    if progressive and original.startswith("I"):  # "I've been sleeping five hours" -> "sleeping five hours"
        return body[progressive.end() :]
    words = original.split()
    if len(words) < 2 or words[0] != "I":
        return None
    index = 1
    adverb = ""
    if words[index].lower() in _ADVERBS and len(words) > 2:
        adverb, index = words[index].lower(), 2
    verb = re.sub(r"\W+$", "", words[index])
    following = words[index + 1].lower() if len(words) > index + 1 else ""
    ing = _ing_form(verb) if verb.lower() not in {"had", "have"} else _having(following)
    if following.endswith("ing"):
        return None  # "I stopped keeping beer" would become "stopping keeping beer"
    if ing is None or (len(words) > index + 1 and words[index + 1].lower() == "to" and verb.lower() == "used"):
        return None
    rest = " ".join(body.split()[index + 1 :])
    rest = _AND_VERB.sub(lambda m: f"and {_coordinate_ing(m.group(1))}", rest)
    return " ".join(w for w in (adverb, ing, rest) if w)


_PROGRESSIVE = re.compile(r"^they (?:have been|are) (?=(?:still |also |just )?[a-z]+ing\b)", re.IGNORECASE)
_AND_VERB = re.compile(r"(?<=\w )and ([a-z]+)\b(?= )")


def _coordinate_ing(word: str) -> str:
    """ "... and sat in the car" -> "... and sitting in the car", only for a verb that is nothing else."""
    lemmas = lemminflect.getAllLemmas(word)
    if set(lemmas) != {"VERB"} or word in lemmas["VERB"]:
        return word
    return _ing_form(word) or word


def _having(following: str) -> str | None:
    """ "I had three attacks" -> "having three attacks"; "I had been" stays a clause."""
    participle = following in {"been", "gone", "to", "done", "got", "not", "never"} or following.endswith("ed")
    return None if participle else "having"


@lru_cache(maxsize=4096)
def _ing_form(verb: str) -> str | None:
    if verb.lower() in _NO_GERUND or not verb.isalpha():
        return None
    lemmas = lemminflect.getAllLemmas(verb.lower())
    if "VERB" not in lemmas or "AUX" in lemmas or verb.endswith("ing"):
        return None
    forms = lemminflect.getInflection(lemmas["VERB"][0], tag="VBG")
    return str(forms[0]) if forms else None


def _starts_with_subject(text: str) -> bool:
    return re.match(r"^(?:I|I'm|I've|I'd|I'll|My|Me)\b", text) is not None


def _lower_first(text: str) -> str:
    """Lower-case the first word after a frame unless it looks like a name ("Jordan", "AA", "Dr.")."""
    first = re.split(r"['\u2019]", re.sub(r"\W+$", "", text.split(" ", 1)[0]))[0]
    common = first.lower() in STOPWORDS or bool(lemminflect.getAllLemmas(first.lower()))
    if first.isalpha() and not first.isupper() and common:
        return text[:1].lower() + text[1:]
    return text


_CLAUSE_OPENER = re.compile(
    r"^(?:I|I'm|I've|I'd|I'll|it|it's|its|my|he|she|they|that|that's|there|there's|this|the|his|her|we|"
    r"nothing|everything|someone|everyone)\b",
    re.IGNORECASE,
)


def is_clause(sentence: str) -> bool:
    """Whether a sentence has its own subject ("It was hard.", "Jordan said ...") or is a fragment ("Not good.")."""
    text = clean(sentence)
    if _CLAUSE_OPENER.match(text) or re.match(r"^[A-Z][\w'-]*(?: [A-Z][\w'-]*)? and (?:I|me)\b", text):
        return True  # "Jordan and I argued ..."
    words = text.split()
    return len(words) > 2 and words[0][:1].isupper() and _finite_verb(words[1])


def _finite_verb(word: str) -> bool:
    """A past or third-person form ("said", "takes"): the word differs from its verb lemma."""
    lemmas = lemminflect.getAllLemmas(word.lower())
    return "VERB" in lemmas and word.lower() not in lemmas["VERB"]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


_WH = r"(?:what|when|where|why|which|who|how(?: often| much| many| long| far)?)"
_WH_START = re.compile(
    rf"^({_WH})(?:\s+(?!(?:is|are|was|were|do|does|did)\b)([a-z]+)(?=\s+(?:is|are|was|were|do|does|did|would|will|can|could|should|have|has)\b))?\s+(\w+)\s*(.*)$",
    re.IGNORECASE,
)
_QUESTION_LEAD = re.compile(r"^(?:(?:and|so|okay|ok|now|then|well)[,]?\s+)+", re.IGNORECASE)
_AUXILIARIES = frozenset("is are was were has have had do does did would will can could should".split())  # noqa: SIM905
_MODALS = frozenset("would will can could should".split())  # noqa: SIM905
_PRONOUN_SUBJECT = re.compile(r"^(you two|you|it|that|this|things|he|she|they)\b\s*(.*)$", re.IGNORECASE)
_TRAILING_TIME = re.compile(
    r"\s+((?:this|last|the past) (?:week|month|weekend)|today|lately|these days|right now|since then|at home|"
    r"at school|at work|with all this)$",
    re.IGNORECASE,
)
_SINGULAR = frozenset({"it", "that", "this", "he", "she"})


def indirect_question(question: str) -> str | None:
    """A clinician's wh-question as indirect speech in the third person, for pairing an answer with it:
    "When is your next appointment with Dr. Lee?" -> "when their next appointment with Dr. Lee is";
    "What would you like to focus on today?" -> "what they would like to focus on today". None when the
    question cannot be turned safely (not a wh-question, or it speaks of "we")."""
    text = _QUESTION_LEAD.sub("", question.strip()).rstrip("?.! ")
    text = re.sub(r"^(what|when|where|how|who)['\u2019]s\b", r"\1 is", text, flags=re.IGNORECASE)
    match = _WH_START.match(text)
    if match is None:
        return None
    wh = " ".join(w for w in (match.group(1), match.group(2)) if w).lower()
    aux, rest = match.group(3), match.group(4)
    turned: str | None = text[:1].lower() + text[1:]  # "what helped", "what was happening before ..."
    if aux.lower() in _AUXILIARIES and not _is_verb(rest.split(" ", 1)[0]):
        turned = _uninverted(wh, aux.lower(), rest)
    return second_to_third(turned) if turned else None


def _uninverted(wh: str, aux: str, rest: str) -> str | None:
    time = _TRAILING_TIME.search(rest)
    core, tail = (rest[: time.start()], f" {time.group(1)}") if time else (rest, "")
    pronoun = _PRONOUN_SUBJECT.match(core)
    if pronoun:
        subject = "you" if pronoun.group(1).lower() == "you two" else pronoun.group(1)
        words = pronoun.group(2).split()
    else:
        words_all = core.split()
        split = next((i for i, w in enumerate(words_all) if i > 0 and _is_verb(w)), len(words_all))
        subject, words = " ".join(words_all[:split]), words_all[split:]
    if not subject:
        return None
    if not words and subject.lower().endswith(" like"):  # "what your sleep is like"
        subject, tail = subject[:-5], f" like{tail}"
    if aux in {"do", "does", "did"}:
        if not words:
            return None
        tag = {"did": "VBD", "does": "VBZ"}.get(aux)
        verb = words[0]
        if tag is not None:
            lemmas = lemminflect.getAllLemmas(verb.lower()).get("VERB")
            forms = lemminflect.getInflection(lemmas[0], tag=tag) if lemmas else ()
            if not forms:
                return None
            verb = str(forms[0])
        words = [verb, *words[1:]]
        return " ".join([wh, subject, *words]) + tail
    return " ".join([wh, subject, aux, *words]) + tail


def _is_verb(word: str) -> bool:
    """A participle, or a verb that is nothing else ("happening", "going", "been", "be")."""
    word = word.lower()
    lemmas = lemminflect.getAllLemmas(word)
    if "VERB" not in lemmas:
        return False
    return word.endswith("ing") or word in {"be", "been"} or ("NOUN" not in lemmas and "ADJ" not in lemmas)


def _past_opening(text: str) -> bool:
    """ "I stopped it two weeks ago": a past event, which a bare "Stopping it ..." would misread."""
    words = text.split()
    if len(words) < 2 or words[0] != "I":
        return False
    verb = re.sub(r"\W+$", "", words[1]).lower()
    lemmas = lemminflect.getAllLemmas(verb).get("VERB")
    return bool(lemmas) and verb != lemmas[0] and verb in lemminflect.getInflection(lemmas[0], tag="VBD")
