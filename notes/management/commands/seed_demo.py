import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from notes.demo import seed_demo


class Command(BaseCommand):
    help = "Create (or refresh) the demo practice, its admin and clinician, and demo clients."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the demo logins and client ids as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = seed_demo()
        if options["json"]:
            self.stdout.write(json.dumps(result))
            return
        self.stdout.write(f"Practice: {result['practice']}")
        for role in ("admin", "clinician"):
            self.stdout.write(f"{role.title()}: {result[role]['email']} / {result[role]['password']}")
        for client in result["clients"]:
            self.stdout.write(f"Client {client['id']}")
