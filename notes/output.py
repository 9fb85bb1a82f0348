"""The JSON shape of a note and its request, shared by the CLI and the API."""

from __future__ import annotations

from typing import Any

from notes.models import Note, NoteRequest
from notes.selectors import request_segments, request_transcriptions
from transcription.models import Transcription


def note_json(request: NoteRequest, note: Note | None, *, total_seconds: float | None = None) -> dict[str, Any]:
    transcriptions = request_transcriptions(practice=request.practice, request=request)
    timings = dict(request.timings)
    if total_seconds is not None:
        timings["total_s"] = round(total_seconds, 3)
    return {
        "note_id": str(note.pk) if note else None,
        "status": _status(request),
        "error": request.error or None,
        "style": request.style_key,
        "engine": (note.engine if note else None),
        "sections": [_section(s) for s in (note.sections if note else [])],
        "transcript": _transcript(request, transcriptions),
        "risk_flags": [
            {
                "category": f["category"],
                "quote": f["quote"],
                "start": f.get("start"),
                "acknowledged": f.get("acknowledged", False),
            }
            for f in (note.risk_flags if note else [])
        ],
        "themes": list(note.themes) if note else [],
        "context": {
            "prior_note_ids": (note.context.get("prior_note_ids_used", []) if note else []),
            "instructions": (note.context.get("instructions", []) if note else []),
            "omitted": (note.context.get("prior_notes_omitted", []) if note else []),
            "shortened": (note.context.get("prior_notes_shortened", []) if note else []),
        },
        "notice": note.notice if note else "",
        "audio_deleted": all(not t.audio for t in transcriptions),
        "timings": {
            "transcription_s": timings.get("transcription_s"),
            "generation_s": timings.get("generation_s"),
            "total_s": timings.get("total_s"),
        },
    }


def _status(request: NoteRequest) -> str:
    return {"ready": "ready", "no_speech": "no_speech", "failed": "failed"}.get(request.status, request.status)


def _section(section: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": section["key"],
        "title": section["title"],
        "text": section.get("text", ""),
        "sentences": [
            {
                "text": s["text"],
                "supported": bool(s.get("supported")),
                "resolution": s.get("resolution", ""),
                "placeholder": bool(s.get("placeholder")),
                "evidence": [
                    {"source": e["source"], "start": e.get("start"), "end": e.get("end"), "quote": e.get("quote", "")}
                    for e in s.get("evidence", [])
                ],
            }
            for s in section.get("sentences", [])
        ],
    }


def _transcript(request: NoteRequest, transcriptions: list[Transcription]) -> dict[str, Any]:
    segments = request_segments(practice=request.practice, request=request)
    return {
        "duration": sum(t.duration for t in transcriptions),
        "language": next((t.language for t in transcriptions if t.language), ""),
        "segments": [
            {"start": round(s.start, 2), "end": round(s.end, 2), "speaker": s.speaker, "text": s.text} for s in segments
        ],
    }
