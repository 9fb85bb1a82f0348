"""Writes to clients."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable

from django.db import transaction

from clients.models import Client
from intellisession.audit import audit_record
from intellisession.errors import DomainError
from intellisession.models import Practice, Role, User


def _practice_clinicians(*, practice: Practice, user_ids: Iterable[uuid.UUID]) -> list[User]:
    """Resolve clinician ids from input, refusing any that are not writers in this practice."""
    wanted = {uuid.UUID(str(user_id)) for user_id in user_ids}
    users = list(
        User.objects.filter(
            pk__in=wanted,
            memberships__practice=practice,
            memberships__is_active=True,
            memberships__role__in=[Role.ADMIN, Role.CLINICIAN],
        )
    )
    if len(users) != len(wanted):
        raise DomainError("An assigned clinician is not a member of this practice.", code="wrong_practice")
    return users


@transaction.atomic
def client_create(
    *,
    practice: Practice,
    actor: User,
    name: str,
    date_of_birth: datetime.date | None = None,
    pronouns: str = "",
    external_id: str = "",
    assigned_clinician_ids: Iterable[uuid.UUID] | None = None,
) -> Client:
    if not name.strip():
        raise DomainError("The client needs a name.", code="name_required")
    ids = assigned_clinician_ids if assigned_clinician_ids is not None else [actor.pk]
    clinicians = _practice_clinicians(practice=practice, user_ids=ids)
    client = Client.objects.create(
        practice=practice, name=name.strip(), date_of_birth=date_of_birth, pronouns=pronouns, external_id=external_id
    )
    client.assigned_clinicians.set(clinicians)
    audit_record(action="client.create", practice=practice, actor=actor, obj=client)
    return client


@transaction.atomic
def client_update(
    *,
    client: Client,
    actor: User,
    name: str | None = None,
    date_of_birth: datetime.date | None = None,
    pronouns: str | None = None,
    external_id: str | None = None,
    assigned_clinician_ids: Iterable[uuid.UUID] | None = None,
) -> Client:
    if name is not None:
        if not name.strip():
            raise DomainError("The client needs a name.", code="name_required")
        client.name = name.strip()
    if date_of_birth is not None:
        client.date_of_birth = date_of_birth
    if pronouns is not None:
        client.pronouns = pronouns
    if external_id is not None:
        client.external_id = external_id
    client.save()
    if assigned_clinician_ids is not None:
        client.assigned_clinicians.set(_practice_clinicians(practice=client.practice, user_ids=assigned_clinician_ids))
    audit_record(action="client.update", practice=client.practice, actor=actor, obj=client)
    return client
