"""How clients, consents and goals read in the practice's audit log (intellisession.audit)."""

from __future__ import annotations

from django.urls import reverse

from clients.models import Client, RecordingConsent, TreatmentGoal
from intellisession.audit import register_object_links
from intellisession.models import Practice


def _client_url(practice: Practice, client_id: object, anchor: str = "") -> str:
    return reverse("client-detail", kwargs={"practice_slug": practice.slug, "client_id": client_id}) + anchor


def clients(practice: Practice, ids: list[str]) -> dict[str, tuple[str, str]]:
    rows = Client.objects.filter(practice=practice, pk__in=ids)
    return {str(c.pk): (c.name, _client_url(practice, c.pk)) for c in rows}


def consents(practice: Practice, ids: list[str]) -> dict[str, tuple[str, str]]:
    rows = RecordingConsent.objects.filter(practice=practice, pk__in=ids).select_related("client")
    return {str(r.pk): (f"Consent of {r.client.name}", _client_url(practice, r.client_id, "#consent")) for r in rows}


def goals(practice: Practice, ids: list[str]) -> dict[str, tuple[str, str]]:
    rows = TreatmentGoal.objects.filter(practice=practice, pk__in=ids).select_related("client")
    return {str(g.pk): (f"Goal of {g.client.name}", _client_url(practice, g.client_id, "#goals")) for g in rows}


def register() -> None:
    register_object_links("client", "Client", clients)
    register_object_links("recordingconsent", "Consent", consents)
    register_object_links("treatmentgoal", "Treatment goal", goals)
