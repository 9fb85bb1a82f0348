"""Import earlier notes (plain text, one note a file) as signed historical notes."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clients.models import Client
from intellisession.errors import DomainError
from intellisession.models import Membership, Practice, Role
from notes.services.review import note_import

_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


class Command(BaseCommand):
    help = "Import plain-text notes from another system as signed historical notes of one client."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--practice", required=True, help="Practice slug.")
        parser.add_argument("--client", required=True, help="Client id.")
        parser.add_argument(
            "--date",
            default="",
            help="Date of service for every file (YYYY-MM-DD); default: a "
            "date in the file name, else the file's modification date.",
        )
        parser.add_argument("files", nargs="+", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        practice = Practice.objects.filter(slug=options["practice"]).first()
        if practice is None:
            raise CommandError(f"No practice {options['practice']!r}.")
        client = _client(practice, options["client"])
        author = _author(practice)
        for path in options["files"]:
            if not path.is_file():
                raise CommandError(f"No such file: {path}")
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                raise CommandError(f"{path} is not a UTF-8 text file.") from None
            try:
                note = note_import(
                    practice=practice,
                    client=client,
                    author=author,
                    text=text,
                    date_of_service=_date(path, options["date"]),
                )
            except DomainError as error:
                raise CommandError(f"{path}: {error.message}") from None
            self.stdout.write(f"{path.name}: imported as note {note.pk}")


def _client(practice: Practice, client_id: str) -> Client:
    try:
        return Client.objects.get(practice=practice, pk=client_id)
    except (Client.DoesNotExist, ValueError, Exception):
        raise CommandError("No such client in this practice.") from None


def _author(practice: Practice) -> Any:
    membership = (
        Membership.objects.filter(practice=practice, is_active=True, role=Role.CLINICIAN).first()
        or Membership.objects.filter(practice=practice, is_active=True, role=Role.ADMIN).first()
    )
    if membership is None:
        raise CommandError("The practice has no clinician or admin to record as the author.")
    return membership.user


def _date(path: Path, given: str) -> datetime.date:
    found = _DATE.search(path.name)
    raw = given or (found.group(1) if found else "")
    if raw:
        try:
            return datetime.date.fromisoformat(raw)
        except ValueError:
            raise CommandError(f"Not a date: {raw!r} (use YYYY-MM-DD).") from None
    return datetime.date.fromtimestamp(path.stat().st_mtime)
