"""Note requests and the pipeline's state.

A request moves QUEUED -> TRANSCRIBING -> GENERATING -> READY, or ends NO_SPEECH or
FAILED with a plain-language reason. Transcription reports back through the
signals in ``transcription.signals`` (see ``notes.receivers``).
"""

from __future__ import annotations

import datetime
import logging
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from clients.models import Client, TreatmentGoal
from clients.selectors import consent_active
from clients.services import client_for_input
from intellisession.audit import audit_record
from intellisession.errors import DomainError
from intellisession.limits import note_creation_count
from intellisession.models import Membership, Practice, User
from intellisession.queueing import send_chord, send_on_commit
from intellisession.validators import INPUT_TEXT_MAX
from notes.chart_checks import source_warnings
from notes.context import NoteContext
from notes.document import NoteDraft
from notes.engines import llm_engine, write_draft
from notes.models import GoalProgressEntry, InputKind, Note, NoteRequest, NoteStretch, RequestStatus, VersionReason
from notes.risk import find_risks, merge_risks
from notes.selectors import chart_terms, note_context, other_client_names, request_transcriptions, style_resolve
from notes.services.review import note_version_keep, require_draft
from transcription.models import AudioUpload, Transcription, TranscriptionStatus
from transcription.services import intake

logger = logging.getLogger(__name__)

# The hard time limit of one note-writing task; a request untouched for longer lost its task.
GENERATE_TIME_LIMIT = 960

TEXT_KINDS = {InputKind.SESSION_SUMMARY, InputKind.PRE_SESSION, InputKind.POST_SESSION, InputKind.DICTATION}


def _check_texts(texts: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    cleaned = []
    for kind, text in texts:
        if kind not in TEXT_KINDS:
            raise DomainError(f"Unknown kind of text input: {kind}.", code="input_kind")
        if len(text) > INPUT_TEXT_MAX:
            raise DomainError(f"A text input is too long (over {INPUT_TEXT_MAX:,} characters).", code="input_too_long")
        if text.strip():
            cleaned.append((kind, text.strip()))
    return cleaned


def note_request_create(
    *,
    membership: Membership,
    client_id: uuid.UUID | str,
    style_key: str,
    audio: Sequence[UploadedFile | Path] = (),
    texts: Sequence[tuple[str, str]] = (),
    dictations: Sequence[UploadedFile | Path] = (),
    recorded_dictations: Sequence[tuple[AudioUpload, Path]] = (),
    summary_only: bool = False,
    date_of_service: datetime.date | None = None,
    instruction: str = "",
    rate_limited: bool = True,
) -> NoteRequest:
    """Validate everything, store the audio privately, create the rows and queue the job.

    ``dictations`` are the clinician's own spoken summaries, which the clinician confirmed hold
    only their own voice: transcribed like a session, they need no client recording consent and
    reach the note as a typed input does (the audit log records each confirmation).
    ``recorded_dictations`` are dictations recorded in the browser: each upload (a dictation of this
    client, in this practice) with its parts joined into a local file.

    Every refusal happens before anything is stored or queued; a request that passes the
    checks counts towards the member's note-creation rate (a 429 beyond it). Only the
    server's own command line passes ``rate_limited=False``."""
    if not membership.can_write:
        raise DomainError("Read-only members cannot create notes.", code="read_only", status_code=403)
    practice, actor = membership.practice, membership.user
    client = client_for_input(membership=membership, client_id=client_id)
    style_resolve(practice=practice, style_key=style_key)
    texts = _check_texts(texts)
    _check_recorded_dictations(client, recorded_dictations)
    dictations = [*dictations, *(path for _, path in recorded_dictations)]
    if summary_only and audio:
        raise DomainError(
            "A summary-only note takes text inputs and dictations only; remove the session audio, "
            "mark it as Dictation if it holds only your voice, or turn off Summary Only.",
            code="summary_only_audio",
        )
    if summary_only and not texts and not dictations:
        raise DomainError("A summary-only note needs at least one text input or dictation.", code="no_inputs")
    if not summary_only and not audio:
        raise DomainError(
            "Record or attach the session audio, or turn on Summary Only to write from text alone.",
            code="audio_required",
        )
    if audio and consent_active(practice=practice, client=client) is None:
        raise DomainError(
            "This client has no recording consent on file. Record their consent before using audio "
            "(a dictation of your own voice only needs none).",
            code="no_consent",
        )
    if rate_limited:
        note_creation_count(user_id=actor.pk)
    return _store_request(
        practice=practice,
        actor=actor,
        client=client,
        style_key=style_key,
        audio=audio,
        texts=texts,
        dictations=dictations,
        recordings=[str(upload.pk) for upload, _ in recorded_dictations],
        summary_only=summary_only,
        instruction=instruction,
        date_of_service=date_of_service or timezone.localdate(),
    )


def _store_request(
    *,
    practice: Practice,
    actor: User,
    client: Client,
    style_key: str,
    audio: Sequence[UploadedFile | Path],
    texts: list[tuple[str, str]],
    dictations: Sequence[UploadedFile | Path],
    recordings: Sequence[str],
    summary_only: bool,
    instruction: str,
    date_of_service: datetime.date,
) -> NoteRequest:
    terms = chart_terms(practice=practice, client=client) if audio or dictations else []
    uploads = [*audio, *dictations]
    with (
        transaction.atomic(),
        intake.transcriptions_stored(practice=practice, uploads=uploads, priming_terms=terms) as transcriptions,
    ):
        request = NoteRequest.objects.create(
            practice=practice,
            client=client,
            created_by=actor,
            style_key=style_key,
            summary_only=summary_only,
            instruction=instruction.strip(),
            date_of_service=date_of_service,
        )
        for position, transcription in enumerate(transcriptions):
            spoken = InputKind.DICTATION if position >= len(audio) else InputKind.AUDIO
            request.inputs.create(practice=practice, kind=spoken, transcription=transcription, position=position)
        for position, (kind, text) in enumerate(texts, start=len(transcriptions)):
            request.inputs.create(practice=practice, kind=kind, text=text, position=position)
        audit_record(
            action="note_request.create",
            practice=practice,
            actor=actor,
            obj=request,
            detail={"audio_inputs": len(audio), "dictation_inputs": len(dictations), "text_inputs": len(texts)},
        )
        dictated = transcriptions[len(audio) :]
        # Recorded dictations come last (after attached files), so each lines up with its upload.
        sources = [""] * (len(dictated) - len(recordings)) + list(recordings)
        for transcription, upload_id in zip(dictated, sources, strict=True):
            audit_record(
                action="note_request.dictation",
                practice=practice,
                actor=actor,
                obj=request,
                detail={
                    "transcription": str(transcription.pk),
                    "own_voice_only": "confirmed by the clinician",
                    "source": "browser_recording" if upload_id else "file",
                    **({"upload": upload_id} if upload_id else {}),
                },
            )
        if transcriptions:
            for transcription in transcriptions:
                intake.transcription_enqueue(transcription)
        else:
            _start_generating(request)
    logger.info("note request %s created (%d audio, %d text)", request.pk, len(transcriptions), len(texts))
    return request


def _check_recorded_dictations(client: Client, recorded: Sequence[tuple[AudioUpload, Path]]) -> None:
    for upload, _ in recorded:
        if upload.practice_id != client.practice_id or upload.client_id != client.pk:
            raise DomainError("That dictation belongs to another client.", code="wrong_client")
        if not upload.dictation:
            raise DomainError("That recording was not made as a dictation.", code="not_dictation")


def _start_generating(request: NoteRequest) -> None:
    NoteRequest.objects.filter(pk=request.pk).update(status=RequestStatus.GENERATING, updated_at=timezone.now())
    request.status = RequestStatus.GENERATING
    send_on_commit("notes.tasks.generate", str(request.pk))


def note_requests_stuck() -> list[str]:
    """Requests in GENERATING untouched for longer than a note-writing task may run (its hard time limit):
    their message was lost, or their worker died without the broker redelivering yet."""
    cutoff = timezone.now() - datetime.timedelta(seconds=GENERATE_TIME_LIMIT + 60)
    stuck = NoteRequest.objects.filter(status=RequestStatus.GENERATING, updated_at__lt=cutoff)
    return [str(pk) for pk in stuck.values_list("pk", flat=True)]


def note_request_fail(request: NoteRequest, *, code: str, message: str) -> None:
    updated = (
        NoteRequest.objects.filter(pk=request.pk)
        .exclude(status__in=[RequestStatus.READY, RequestStatus.NO_SPEECH, RequestStatus.FAILED])
        .update(
            status=RequestStatus.FAILED,
            error=message[:300],
            error_code=code,
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
    )
    if updated:
        logger.warning("note request %s failed: %s", request.pk, code)
        NoteStretch.objects.filter(practice=request.practice, request=request).delete()  # facts are PHI
        request.refresh_from_db()


def note_request_transcription_started(transcription: Transcription) -> None:
    for request in _requests_of(transcription):
        NoteRequest.objects.filter(pk=request.pk, status=RequestStatus.QUEUED).update(
            status=RequestStatus.TRANSCRIBING, updated_at=timezone.now()
        )


def note_request_transcription_finished(transcription: Transcription) -> None:
    """Move each request using this recording on once all its recordings are finished."""
    for request in _requests_of(transcription):
        _advance_after_transcription(request)


def _requests_of(transcription: Transcription) -> list[NoteRequest]:
    ids = NoteRequest.objects.filter(inputs__transcription=transcription).values("pk")
    return list(
        NoteRequest.objects.select_for_update()
        .filter(pk__in=ids)
        .exclude(status__in=[RequestStatus.READY, RequestStatus.FAILED, RequestStatus.NO_SPEECH])
    )


def _advance_after_transcription(request: NoteRequest) -> None:
    transcriptions = request_transcriptions(practice=request.practice, request=request)
    failed = next((t for t in transcriptions if t.status == TranscriptionStatus.FAILED), None)
    if failed is not None:
        note_request_fail(
            request,
            code=failed.error_code or "transcription_failed",
            message=failed.error or "The recording could not be transcribed.",
        )
        return
    if not all(t.is_finished for t in transcriptions):
        return
    _record_timing(request, "transcription_s", max((t.transcription_seconds or 0.0) for t in transcriptions))
    speech = any(t.status == TranscriptionStatus.DONE for t in transcriptions)
    typed = request.inputs.filter(transcription=None).exclude(kind=InputKind.AUDIO)  # a dictation counts as speech
    has_text = any((i.text or "").strip() for i in typed)
    if not speech and not has_text:
        NoteRequest.objects.filter(pk=request.pk).update(
            status=RequestStatus.NO_SPEECH,
            finished_at=timezone.now(),
            updated_at=timezone.now(),
            error="No speech was found in the recording, so no note was written.",
            error_code="no_speech",
        )
        return
    _start_generating(request)


def _record_timing(request: NoteRequest, key: str, seconds: float) -> None:
    request.refresh_from_db(fields=["timings"])
    request.timings = {**request.timings, key: round(seconds, 3)}
    NoteRequest.objects.filter(pk=request.pk).update(timings=request.timings)


def note_request_generate(*, request_id: str) -> Note | None:
    """Write the note for a request in GENERATING; claims by counting the attempt.

    A session that fits one model call (or the offline drafter) is written here. A longer one is
    planned here and written in two stages by other tasks: one per stretch of the transcript
    (`note_request_stretch`, in parallel), then `note_request_compose` once all are done."""
    claimed = NoteRequest.objects.filter(pk=request_id, status=RequestStatus.GENERATING).update(
        attempts=F("attempts") + 1, updated_at=timezone.now()
    )
    if not claimed:
        return None
    request = NoteRequest.objects.select_related("practice", "client", "created_by").get(pk=request_id)
    if request.attempts > settings.NOTE_MAX_ATTEMPTS:
        note_request_fail(
            request,
            code="crashed",
            message=("The note could not be written: processing stopped unexpectedly several times. Please retry."),
        )
        return None
    style = style_resolve(practice=request.practice, style_key=request.style_key)
    ctx = note_context(request, style=style)
    began = time.monotonic()
    engine = llm_engine()
    if engine is None:
        draft = write_draft(ctx)
        draft.risks = merge_risks(find_risks(ctx.segments, ctx.inputs), draft.risks)
        return _finish(request, ctx, draft, style_name=style.name, seconds=time.monotonic() - began)
    plan = engine.plan(ctx)
    if not plan.two_stage:
        draft = engine.one_call(ctx, plan)
        return _finish(request, ctx, draft, style_name=style.name, seconds=time.monotonic() - began)
    _stages_start(request, plan.parts)
    return None


def _stages_start(request: NoteRequest, parts: list[range]) -> None:
    """One row per stretch (kept from an earlier attempt of this run when the stretches are the same;
    a failed request's rows are deleted with its failure), then the stretches not yet done as a
    chord whose callback composes the note."""
    with transaction.atomic():
        rows = list(NoteStretch.objects.filter(practice=request.practice, request=request))
        if [(r.first_segment, r.stop_segment) for r in rows] != [(p.start, p.stop) for p in parts]:
            NoteStretch.objects.filter(practice=request.practice, request=request).delete()
            rows = NoteStretch.objects.bulk_create(
                NoteStretch(practice=request.practice, request=request, index=i, first_segment=p.start,
                            stop_segment=p.stop)
                for i, p in enumerate(parts)
            )  # fmt: skip
        pending = [r.index for r in rows if not r.done]
        request_id = str(request.pk)
        if pending:
            members = [(request_id, i) for i in pending]
            transaction.on_commit(
                lambda: send_chord("notes.tasks.generate_stretch", members, "notes.tasks.generate_compose", request_id)
            )
        else:
            send_on_commit("notes.tasks.generate_compose", request_id)
    logger.info("note request %s in two stages: %d stretches, %d to read", request.pk, len(parts), len(pending))


def _generating(request_id: str) -> NoteRequest | None:
    return (
        NoteRequest.objects.select_related("practice", "client", "created_by")
        .filter(pk=request_id, status=RequestStatus.GENERATING)
        .first()
    )


def note_request_stretch(*, request_id: str, index: int) -> None:
    """Stage one for one stretch: the facts the model finds in it, stored on its row."""
    request, engine = _generating(request_id), llm_engine()
    if request is None or engine is None:
        return
    row = NoteStretch.objects.filter(practice=request.practice, request=request, index=index).first()
    if row is None or row.done:
        return
    ctx = note_context(request, style=style_resolve(practice=request.practice, style_key=request.style_key))
    plan = engine.stretch_plan(ctx)
    if index >= len(plan.parts) or plan.parts[index] != range(row.first_segment, row.stop_segment):
        logger.warning("note request %s: stretch %d no longer matches its transcript", request_id, index)
        return  # the sweeper's next attempt plans again
    began = time.monotonic()
    row.facts = engine.extract(ctx, plan, index)
    row.done, row.seconds = True, round(time.monotonic() - began, 2)
    row.save(update_fields=["facts", "done", "seconds"])
    NoteRequest.objects.filter(pk=request_id).update(updated_at=timezone.now())
    logger.info("note request %s: stretch %d read in %.1f s", request_id, index, row.seconds)


def note_request_compose(*, request_id: str) -> Note | None:
    """Stage two: the note from the facts of every stretch. A stretch not done (its task failed the
    request, or was lost) leaves the request to the failure or to the sweeper's next attempt."""
    request, engine = _generating(request_id), llm_engine()
    if request is None or engine is None:
        return None
    rows = list(NoteStretch.objects.filter(practice=request.practice, request=request).order_by("index"))
    if not rows or not all(r.done for r in rows):
        return None
    style = style_resolve(practice=request.practice, style_key=request.style_key)
    ctx = note_context(request, style=style)
    plan = engine.plan(ctx)
    if [(p.start, p.stop) for p in plan.parts] != [(r.first_segment, r.stop_segment) for r in rows]:
        logger.warning("note request %s: the stretches no longer match the transcript", request_id)
        return None
    facts = [list(r.facts) for r in rows]
    parts = [engine.stretch_report(plan, r.index, r.facts, r.seconds or 0.0) for r in rows]
    draft = engine.compose(ctx, plan, facts, parts)
    seconds = (timezone.now() - min(r.created_at for r in rows)).total_seconds()
    return _finish(request, ctx, draft, style_name=style.name, seconds=seconds)


def _finish(
    request: NoteRequest, ctx: NoteContext, draft: NoteDraft, *, style_name: str, seconds: float
) -> Note | None:
    """Save the note, with the checks of its material against the chart, and end the request READY,
    unless another run of the same request got there first."""
    draft.warnings = source_warnings(
        ctx,
        client_name=request.client.name,
        other_names=other_client_names(practice=request.practice, request=request),
    )
    with transaction.atomic():
        if not NoteRequest.objects.select_for_update().filter(pk=request.pk, status=RequestStatus.GENERATING).exists():
            return None
        note = _save_note(request, draft, style_name=style_name)
        _record_timing(request, "generation_s", seconds)
        _record_timing(request, "total_s", (timezone.now() - request.created_at).total_seconds())
        NoteRequest.objects.filter(pk=request.pk).update(
            status=RequestStatus.READY, finished_at=timezone.now(), updated_at=timezone.now(), error="", error_code=""
        )
        NoteStretch.objects.filter(practice=request.practice, request=request).delete()  # the facts are PHI
    logger.info("note %s written for request %s by %s in %.1f s", note.pk, request.pk, draft.engine, seconds)
    return note


def _save_note(request: NoteRequest, draft: NoteDraft, *, style_name: str) -> Note:
    """A new note, or, for a regenerated draft, the new text in the same note with the text it
    replaces kept as a version the clinician can go back to."""
    fields = {
        "engine": draft.engine,
        "notice": draft.offline_notice or "",
        "style_key": request.style_key,
        "style_name": style_name,
        "request": request,
    }
    note = request.regenerates if request.regenerates and not request.regenerates.is_signed else None
    if note is None:
        note = Note(
            practice=request.practice,
            client=request.client,
            author=request.created_by,
            date_of_service=request.date_of_service,
            **fields,
        )
    else:
        note_version_keep(note, reason=VersionReason.REGENERATED, actor=request.created_by)
        for name, value in fields.items():
            setattr(note, name, value)
    note.set_document(draft.document())
    note.save()
    _save_goal_progress(note, draft)
    return note


def _save_goal_progress(note: Note, draft: NoteDraft) -> None:
    goals = {str(g.pk): g for g in TreatmentGoal.objects.filter(practice=note.practice, client=note.client)}
    GoalProgressEntry.objects.filter(note=note).delete()
    GoalProgressEntry.objects.bulk_create(
        [
            GoalProgressEntry(
                practice=note.practice, note=note, goal=goals[p.goal_id], status=p.status, evidence=p.evidence_quote
            )
            for p in draft.goal_progress
            if p.goal_id in goals
        ]
    )


def note_request_retry(*, request: NoteRequest, actor: User) -> NoteRequest:
    """Run a failed request again: note writing again, or transcription while the audio exists."""
    if request.status != RequestStatus.FAILED:
        raise DomainError("Only a failed request can be retried.", code="not_failed")
    transcriptions = request_transcriptions(practice=request.practice, request=request)
    if any(t.status == TranscriptionStatus.FAILED for t in transcriptions):
        raise DomainError(
            "The recording was deleted after it failed, for privacy. Please upload it again.", code="audio_gone"
        )
    note_creation_count(user_id=actor.pk)
    with transaction.atomic():
        NoteRequest.objects.filter(pk=request.pk).update(
            status=RequestStatus.QUEUED, error="", error_code="", attempts=0, finished_at=None
        )
        request.refresh_from_db()
        audit_record(action="note_request.retry", practice=request.practice, actor=actor, obj=request)
        _start_generating(request)
    return request


def note_regenerate(*, note: Note, membership: Membership, style_key: str, instruction: str = "") -> NoteRequest:
    """Rewrite a draft with another style or instruction, from the same inputs and transcript."""
    require_draft(note)
    style_resolve(practice=note.practice, style_key=style_key)
    source = note.request
    if source is None:
        raise DomainError("This note has no inputs to regenerate from.", code="no_inputs")
    note_creation_count(user_id=membership.user.pk)
    with transaction.atomic():
        request = NoteRequest.objects.create(
            practice=note.practice,
            client=note.client,
            created_by=membership.user,
            style_key=style_key,
            summary_only=source.summary_only,
            instruction=instruction.strip(),
            date_of_service=note.date_of_service,
            regenerates=note,
        )
        for note_input in source.inputs.all():
            request.inputs.create(
                practice=note.practice,
                kind=note_input.kind,
                text=note_input.text,
                transcription=note_input.transcription,
                position=note_input.position,
            )
        audit_record(
            action="note.regenerate",
            practice=note.practice,
            actor=membership.user,
            obj=note,
            detail={"request": str(request.pk), "style": style_key},
        )
        _start_generating(request)
    return request
