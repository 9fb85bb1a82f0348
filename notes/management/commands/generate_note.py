"""Run the whole pipeline inline (same services and tasks, executed eagerly) and print the note."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from intellisession.celery import app
from intellisession.errors import DomainError
from intellisession.models import Membership, Role
from notes.models import InputKind, Note, NoteRequest
from notes.output import note_json
from notes.services.requests import note_request_create


class Command(BaseCommand):
    help = "Generate a note for a client from audio and/or text inputs, inline, and print it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--practice", required=True, help="Practice slug.")
        parser.add_argument("--client", required=True, help="Client id.")
        parser.add_argument("--style", default="soap", help="Style key (soap, dap, birp, ...) or template:<id>.")
        parser.add_argument("--audio", type=Path, action="append", default=[], help="Session recording.")
        parser.add_argument(
            "--text",
            action="append",
            default=[],
            help="A text input; prefix with kind: (session_summary:, pre_session:, post_session:, "
            "dictation:). Default kind: session_summary.",
        )
        parser.add_argument("--summary-only", action="store_true", help="Write from the text inputs alone.")
        parser.add_argument("--instruction", default="", help="An instruction for this note.")
        parser.add_argument("--as", dest="as_email", default="", help="Clinician e-mail (default: first clinician).")
        parser.add_argument("--json", action="store_true", help="Print the note as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        # The very same tasks, executed in this process instead of by a worker; the app's own
        # settings come back afterwards (tests and shells call this command in-process).
        saved = app.conf.task_always_eager, app.conf.task_eager_propagates
        app.conf.task_always_eager, app.conf.task_eager_propagates = True, False
        try:
            self._generate(options)
        finally:
            app.conf.task_always_eager, app.conf.task_eager_propagates = saved

    def _generate(self, options: dict[str, Any]) -> None:
        membership = self._membership(options["practice"], options["as_email"])
        for path in options["audio"]:
            if not path.is_file():
                raise CommandError(f"No such audio file: {path}")
        began = time.monotonic()
        try:
            request = note_request_create(
                membership=membership,
                client_id=options["client"],
                style_key=options["style"],
                audio=list(options["audio"]),
                texts=[_text_input(t) for t in options["text"]],
                summary_only=options["summary_only"],
                instruction=options["instruction"],
                # Someone at the server's shell is not a web or API caller; scripts and benchmarks
                # run this command many times in a row.
                rate_limited=False,
            )
        except DomainError as error:
            raise CommandError(error.message) from None
        request = NoteRequest.objects.get(pk=request.pk)
        note = Note.objects.filter(request=request).first()
        self._print(request, note, options["json"], time.monotonic() - began)
        if request.status == "failed":
            raise CommandError(request.error or "The note could not be written.")
        if not request.is_finished:
            raise CommandError("The note was not finished; see the log above for the cause.")

    def _membership(self, slug: str, email: str) -> Membership:
        memberships = Membership.objects.select_related("practice", "user").filter(
            practice__slug=slug, is_active=True, role__in=[Role.CLINICIAN, Role.ADMIN]
        )
        if email:
            memberships = memberships.filter(user__email=email.lower())
        membership = memberships.order_by("role").first()  # "admin" < "clinician": prefer a clinician below
        clinician = memberships.filter(role=Role.CLINICIAN).first()
        membership = clinician or membership
        if membership is None:
            raise CommandError(f"No clinician found in practice {slug!r}.")
        return membership

    def _print(self, request: NoteRequest, note: Note | None, as_json: bool, total: float) -> None:
        data = note_json(request, note, total_seconds=total)
        if as_json:
            self.stdout.write(json.dumps(data, indent=2))
            return
        self.stdout.write(f"Status: {data['status']}  Engine: {data['engine']}  Style: {data['style']}")
        if data["error"]:
            self.stdout.write(f"Error: {data['error']}")
        for section in data["sections"]:
            self.stdout.write(f"\n{section['title']}\n{section['text']}")
        for flag in data["risk_flags"]:
            self.stdout.write(f"\nRISK ({flag['category']}): {flag['quote']}")


def _text_input(raw: str) -> tuple[str, str]:
    kind, sep, text = raw.partition(":")
    if sep and kind in InputKind.values and kind != InputKind.AUDIO:
        return kind, text
    return InputKind.SESSION_SUMMARY, raw
