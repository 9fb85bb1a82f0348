"""Notes keep one typed document (notes.document.NoteDocument, version 2) instead of separate
sections, themes, risk flags and context columns; existing notes are converted."""

from typing import Any

from django.db import migrations

import intellisession.fields

RISK_FIELDS = ("category", "status", "level", "quote", "source", "ref", "start", "end", "speaker", "context")
EVIDENCE_FIELDS = ("source", "quote", "start", "end", "ref")
CONTEXT_FIELDS = (
    "prior_note_ids_used", "prior_notes_shortened", "prior_notes_omitted", "transcript_shortened",
    "instructions", "transcript_segments_omitted", "approx_tokens",
)  # fmt: skip


def _sentence(old: dict[str, Any]) -> dict[str, Any]:
    return {
        "text": old.get("text", ""),
        "supported": bool(old.get("supported")),
        "evidence": [{k: e[k] for k in EVIDENCE_FIELDS if k in e} for e in old.get("evidence") or []],
        "placeholder": bool(old.get("placeholder")),
        "issue": old.get("issue") or "",
        "resolution": old.get("resolution") or "",
    }


def _section(old: dict[str, Any]) -> dict[str, Any]:
    sentences = [_sentence(s) for s in old.get("sentences") or []]
    shown = " ".join(s["text"] for s in sentences if s["resolution"] != "removed" and not s["placeholder"])
    text = (old.get("text") or "").strip()
    if text != shown:
        # The section's text is what was signed or last edited; it wins over sentences that disagree.
        sentences = [{**_sentence({"text": text, "supported": True}), "resolution": "edited"}] if text else []
    return {"key": old["key"], "title": old["title"], "sentences": sentences}


def _risk(old: dict[str, Any]) -> dict[str, Any]:
    item = {k: old[k] for k in RISK_FIELDS if old.get(k) is not None}
    item.setdefault("status", "denied" if old.get("negated") else "endorsed")
    item["protective_factors"] = list(old.get("protective_factors") or [])
    return item


def to_document(apps: Any, schema_editor: Any) -> None:
    Note = apps.get_model("notes", "Note")
    GoalProgressEntry = apps.get_model("notes", "GoalProgressEntry")
    for note in Note.objects.all().iterator(chunk_size=200):
        progress = GoalProgressEntry.objects.filter(note=note).order_by("id")
        context = note.context or {}
        note.body = {
            "version": 2,
            "sections": [_section(s) for s in note.sections or []],
            "themes": list(note.themes or []),
            "goal_progress": [
                {"goal_id": str(p.goal_id), "status": p.status, "evidence_quote": p.evidence, "evidence": []}
                for p in progress
            ],
            "risks": [_risk(f) for f in note.risk_flags or []],
            "risk_assessments": [],
            "context": {k: context[k] for k in CONTEXT_FIELDS if k in context} if context else None,
        }
        note.save(update_fields=["body"])


class Migration(migrations.Migration):
    dependencies = [("notes", "0002_note_notice_text")]

    operations = [
        migrations.AddField(
            model_name="note",
            name="body",
            field=intellisession.fields.EncryptedJSONField(
                default=dict, help_text="The note document (notes.document.NoteDocument), versioned."
            ),
        ),
        migrations.RunPython(to_document, migrations.RunPython.noop),
        migrations.RemoveField(model_name="note", name="sections"),
        migrations.RemoveField(model_name="note", name="themes"),
        migrations.RemoveField(model_name="note", name="risk_flags"),
        migrations.RemoveField(model_name="note", name="context"),
    ]
