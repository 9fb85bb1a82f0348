"""Text tools shared by the drafter, grounding and risk detection: sentences, words, numbers,
stems, stopwords and negation. Pure functions, no dependencies beyond the standard library."""

from __future__ import annotations

import re

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
# Number words as they are spoken, zero to twenty (index = value); shared with the risk rules and benchmarks.
SMALL_NUMBERS: tuple[str, ...] = tuple(
    """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
    seventeen eighteen nineteen twenty""".split()  # noqa: SIM905
)
_NUMBER_WORDS = {word: str(value) for value, word in enumerate(SMALL_NUMBERS)}
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
