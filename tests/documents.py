"""Note bodies for tests that create notes directly, built with the note document's own models."""

from __future__ import annotations

from typing import Any

from notes.document import NoteDocument, NoteSection, RiskItem, Sentence


def note_body(sections: dict[str, str] | None = None, **fields: Any) -> dict[str, Any]:
    """A stored body: each section (key -> text; the title is the key capitalised) as one supported
    sentence; `fields` are further NoteDocument fields (risks, themes, ...)."""
    built = [
        NoteSection(key=key, title=key.replace("_", " ").capitalize(), sentences=[Sentence(text=text, supported=True)])
        for key, text in (sections or {}).items()
    ]
    return NoteDocument(sections=built, **fields).dump()


def endorsed(category: str = "suicide", quote: str = "I can't go on", start: float | None = 12.0) -> RiskItem:
    return RiskItem.model_validate(
        {"category": category, "status": "endorsed", "quote": quote, "source": "transcript", "start": start}
    )
