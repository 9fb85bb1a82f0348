"""Medication names in a sentence, from the dictionary that `drug-named-entity-recognition`
ships (DrugBank, MeSH, NHS and MedlinePlus names and brand names), plus names the caller knows
from the client's chart.

The dictionary is read from the package's own data file rather than through `find_drugs`:
importing that module also builds a fuzzy-match index (about five seconds of CPU per process)
that exact matching does not need. Nothing is downloaded at run time.
"""

from __future__ import annotations

import bz2
import importlib.util
import pickle  # the file is the library's own packaged dictionary, not user data
import re
from functools import lru_cache
from pathlib import Path

_WORD = re.compile(r"[A-Za-z][A-Za-z-]+")
_COMMON = frozenset({"today", "plan", "sleep", "water", "coffee", "iron", "zinc", "oxygen", "air", "salt"})


@lru_cache(maxsize=1)
def _variants() -> dict[str, list[str]]:
    # find_spec locates the package without running its __init__ (which would build the fuzzy index).
    spec = importlib.util.find_spec("drug_named_entity_recognition")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("drug-named-entity-recognition is not installed")
    data = Path(next(iter(spec.submodule_search_locations))) / "drug_ner_dictionary.pkl.bz2"
    with bz2.open(data, "rb") as handle:
        loaded = pickle.load(handle)  # noqa: S301
    return dict(loaded["drug_variant_to_canonical"])


def find_medications(text: str, chart_names: tuple[str, ...] = ()) -> list[str]:
    """Medication names as written in `text`, in order, once each."""
    known = {name.lower() for name in chart_names}
    variants = _variants()
    words = _WORD.findall(text)
    found: list[str] = []
    for index, word in enumerate(words):
        pair = f"{word} {words[index + 1]}".lower() if index + 1 < len(words) else ""
        if pair and pair in variants:
            found.append(f"{word} {words[index + 1]}")
        elif word.lower() in known or (word.lower() in variants and word.lower() not in _COMMON and len(word) > 3):
            found.append(word)
    return list(dict.fromkeys(found))


def warm_up() -> None:
    """Load the dictionary now (about a second) rather than on the first note."""
    _variants()
