"""Loading a client for the signed-in member; anything else is a 404."""

from __future__ import annotations

import uuid

from django.http import Http404

from clients.models import Client
from clients.selectors import client_visible_to
from intellisession.access import PracticeRequest


def get_client_for_user(request: PracticeRequest, client_id: uuid.UUID | str) -> Client:
    queryset = client_visible_to(Client.objects.filter(practice=request.practice), membership=request.membership)
    try:
        return queryset.get(pk=client_id)
    except (Client.DoesNotExist, ValueError):
        raise Http404("No such client.") from None
