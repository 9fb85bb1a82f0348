"""The JSON shape of a note and its request, shared by the CLI (`generate_note --json`) and the API.

Typed with the note document's own models, so the API's OpenAPI schema documents the whole note.
"""

from __future__ import annotations

import datetime
from typing import Any

from pydantic import BaseModel, Field

from notes.document import (
    ContextReport,
    GoalProgress,
    NoteDocument,
    NoteSection,
    PlanReview,
    RiskAssessment,
    RiskCategory,
    RiskSource,
    RiskStatus,
    SuicideLevel,
)
from notes.models import Note, NoteRequest
from notes.selectors import request_segments, request_transcriptions
from transcription.models import Transcription


class RiskFlagOut(BaseModel):
    category: RiskCategory
    status: RiskStatus
    level: SuicideLevel | None
    quote: str
    source: RiskSource
    start: float | None
    speaker: str | None
    acknowledged: bool = Field(description="Nothing left to do: not endorsed, or its category's assessment is done.")


class SegmentOut(BaseModel):
    start: float
    end: float
    speaker: str
    text: str


class TranscriptOut(BaseModel):
    duration: float
    language: str
    segments: list[SegmentOut]


class ContextOut(BaseModel):
    prior_note_ids: list[str]
    instructions: list[str]
    omitted: list[str]
    shortened: list[str]
    report: ContextReport | None = Field(description="Everything recorded about what the note was written from.")


class TimingsOut(BaseModel):
    transcription_s: float | None
    generation_s: float | None
    total_s: float | None


class NoteOut(BaseModel):
    """A note request's outcome: the note, its transcript, and how it was made."""

    note_id: str | None
    status: str
    error: str | None
    style: str
    engine: str | None
    sections: list[NoteSection]
    transcript: TranscriptOut
    risk_flags: list[RiskFlagOut]
    risk_assessments: list[RiskAssessment]
    goal_progress: list[GoalProgress]
    plan_review: list[PlanReview]
    themes: list[str]
    context: ContextOut
    notice: str
    audio_deleted: bool
    timings: TimingsOut


class AddendumOut(BaseModel):
    id: str
    text: str
    created_at: datetime.datetime


class VersionOut(BaseModel):
    number: int
    reason: str
    style_name: str
    created_at: datetime.datetime


class NoteDetailOut(NoteOut):
    """A note as the API returns it: the request's outcome plus its review and signing state."""

    note_status: str
    client_id: str
    date_of_service: datetime.date
    blockers: list[str]
    content_hash: str
    signed_at: datetime.datetime | None
    addenda: list[AddendumOut]
    versions: list[VersionOut]


def risk_flags(document: NoteDocument) -> list[RiskFlagOut]:
    pending = set(document.pending_assessments())
    return [
        RiskFlagOut(
            category=r.category,
            status=r.status,
            level=r.level,
            quote=r.quote,
            source=r.source,
            start=r.start,
            speaker=r.speaker,
            acknowledged=not (r.endorsed and r.category in pending),
        )
        for r in document.risks
    ]


def note_out(request: NoteRequest | None, note: Note | None, *, total_seconds: float | None = None) -> NoteOut:
    """`request` is None for an imported note (no job behind it)."""
    transcriptions = request_transcriptions(practice=request.practice, request=request) if request else []
    document = note.document if note else NoteDocument()
    timings = dict(request.timings) if request else {}
    if total_seconds is not None:
        timings["total_s"] = round(total_seconds, 3)
    report = document.context
    return NoteOut(
        note_id=str(note.pk) if note else None,
        status=_status(request),
        error=(request.error or None) if request else None,
        style=request.style_key if request else (note.style_key if note else ""),
        engine=note.engine if note else None,
        sections=document.sections,
        transcript=_transcript(request, transcriptions),
        risk_flags=risk_flags(document),
        risk_assessments=document.risk_assessments,
        goal_progress=document.goal_progress,
        plan_review=document.plan_review,
        themes=document.themes,
        context=ContextOut(
            prior_note_ids=report.prior_note_ids_used if report else [],
            instructions=report.instructions if report else [],
            omitted=report.prior_notes_omitted if report else [],
            shortened=report.prior_notes_shortened if report else [],
            report=report,
        ),
        notice=note.notice if note else "",
        audio_deleted=all(not t.audio for t in transcriptions),
        timings=TimingsOut(
            transcription_s=timings.get("transcription_s"),
            generation_s=timings.get("generation_s"),
            total_s=timings.get("total_s"),
        ),
    )


def note_json(request: NoteRequest, note: Note | None, *, total_seconds: float | None = None) -> dict[str, Any]:
    return note_out(request, note, total_seconds=total_seconds).model_dump(mode="json")


def _status(request: NoteRequest | None) -> str:
    if request is None:
        return "ready"
    return {"ready": "ready", "no_speech": "no_speech", "failed": "failed"}.get(request.status, request.status)


def _transcript(request: NoteRequest | None, transcriptions: list[Transcription]) -> TranscriptOut:
    segments = request_segments(practice=request.practice, request=request) if request else []
    return TranscriptOut(
        duration=sum(t.duration for t in transcriptions),
        language=next((t.language for t in transcriptions if t.language), ""),
        segments=[
            SegmentOut(start=round(s.start, 2), end=round(s.end, 2), speaker=s.speaker, text=s.text) for s in segments
        ],
    )
