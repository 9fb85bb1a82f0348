"""Loading a client, and its consents and goals, for the signed-in member; anything else is a 404."""

from __future__ import annotations

import uuid

from django.http import Http404

from clients.models import Client, RecordingConsent, TreatmentGoal
from clients.selectors import client_visible_to
from intellisession.access import PracticeRequest, parse_id


def get_client_for_user(request: PracticeRequest, client_id: uuid.UUID | str) -> Client:
    queryset = client_visible_to(Client.objects.filter(practice=request.practice), membership=request.membership)
    try:
        return queryset.get(pk=parse_id(client_id))
    except Client.DoesNotExist:
        raise Http404("No such client.") from None


def get_consent_for_client(client: Client, consent_id: uuid.UUID | str) -> RecordingConsent:
    """A consent of a client already loaded with ``get_client_for_user``."""
    try:
        return RecordingConsent.objects.get(practice=client.practice, client=client, pk=consent_id)
    except (RecordingConsent.DoesNotExist, ValueError):
        raise Http404("No such consent record.") from None


def get_goal_for_client(client: Client, goal_id: uuid.UUID | str) -> TreatmentGoal:
    try:
        return TreatmentGoal.objects.get(practice=client.practice, client=client, pk=goal_id)
    except (TreatmentGoal.DoesNotExist, ValueError):
        raise Http404("No such goal.") from None
