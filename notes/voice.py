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
    r"^(?:(?:honestly|i'd say|i would say|i think|i guess|i mean|i feel like|maybe|probably|so|well|um|uh|"
    r"yeah|okay|oh|like|you know)[,]?\s+)+",
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
        return _capital(gerund)
    return f"Client reported that {_lower_first(body)}" if _starts_with_subject(text) else body


def third_person(text: str) -> str | None:
    """First person swapped for the third; None when the sentence cannot be converted safely."""
    if _UNSAFE.search(text) or _YOU.search(text):
        return None
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
    if word == "you" and not _SUBJECT_BEFORE.search(text[: match.start()]):
        return "them"
    return _case(SECOND_PERSON[word], match.group(0), match.start())


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
    if _CLAUSE_OPENER.match(text):
        return True
    words = text.split()
    return len(words) > 2 and words[0][:1].isupper() and _finite_verb(words[1])


def _finite_verb(word: str) -> bool:
    """A past or third-person form ("said", "takes"): the word differs from its verb lemma."""
    lemmas = lemminflect.getAllLemmas(word.lower())
    return "VERB" in lemmas and word.lower() not in lemmas["VERB"]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
