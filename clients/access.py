"""Loading a client for the signed-in member; anything else is a 404."""

from __future__ import annotations

import uuid

from django.http import Http404

from clients.models import Client
from clients.selectors import client_visible_to
from intellisession.access import PracticeRequest, parse_id


def get_client_for_user(request: PracticeRequest, client_id: uuid.UUID | str) -> Client:
    queryset = client_visible_to(Client.objects.filter(practice=request.practice), membership=request.membership)
    try:
        return queryset.get(pk=parse_id(client_id))
    except Client.DoesNotExist:
        raise Http404("No such client.") from None
