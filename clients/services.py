"""Writes to clients."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from clients.models import Client, ConsentMethod, GoalStatus, RecordingConsent, TreatmentGoal
from clients.selectors import client_visible_to
from intellisession.audit import audit_record
from intellisession.errors import DomainError
from intellisession.models import Membership, Practice, Role, User
from intellisession.validators import signed_form_kind


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
    medications: str = "",
    assigned_clinician_ids: Iterable[uuid.UUID] | None = None,
) -> Client:
    if not name.strip():
        raise DomainError("The client needs a name.", code="name_required")
    ids = assigned_clinician_ids if assigned_clinician_ids is not None else [actor.pk]
    clinicians = _practice_clinicians(practice=practice, user_ids=ids)
    client = Client.objects.create(
        practice=practice,
        name=name.strip(),
        date_of_birth=date_of_birth,
        pronouns=pronouns,
        external_id=external_id,
        medications=_medication_lines(medications),
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
    medications: str | None = None,
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
    if medications is not None:
        client.medications = _medication_lines(medications)
    client.save()
    if assigned_clinician_ids is not None:
        client.assigned_clinicians.set(_practice_clinicians(practice=client.practice, user_ids=assigned_clinician_ids))
    audit_record(action="client.update", practice=client.practice, actor=actor, obj=client)
    return client


def _medication_lines(text: str) -> str:
    """One medication a line, blank lines and stray spaces gone."""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def client_for_input(*, membership: Membership, client_id: uuid.UUID | str) -> Client:
    """A client id that arrived in a request body, checked against the practice and caseload."""
    queryset = client_visible_to(Client.objects.filter(practice=membership.practice), membership=membership)
    try:
        return queryset.get(pk=client_id)
    except (Client.DoesNotExist, DjangoValidationError, ValueError):
        raise DomainError("That client is not one of this practice's clients.", code="wrong_client") from None


@transaction.atomic
def consent_record(
    *,
    client: Client,
    actor: User,
    given_on: datetime.date,
    method: str = ConsentMethod.SIGNED_FORM,
    signed_form: UploadedFile | None = None,
) -> RecordingConsent:
    """Record a client's consent: the date, how it was given, and the signed form if there is one."""
    if given_on > timezone.localdate():
        raise DomainError("The consent date cannot be in the future.", code="consent_date")
    if method not in ConsentMethod.values:
        raise DomainError("Choose how the consent was given.", code="consent_method")
    kind = ""
    if signed_form is not None:
        try:
            kind = signed_form_kind(signed_form)
        except DjangoValidationError as error:
            raise DomainError(" ".join(error.messages), code="signed_form") from None
    consent = RecordingConsent(
        practice=client.practice, client=client, given_on=given_on, method=method, recorded_by=actor
    )
    if signed_form is not None:
        consent.signed_form.save("form", signed_form, save=False)
        consent.signed_form_kind = kind
    try:
        consent.save()
    except Exception:
        if consent.signed_form:
            consent.signed_form.delete(save=False)  # no stored file without its row
        raise
    audit_record(
        action="consent.record",
        practice=client.practice,
        actor=actor,
        obj=consent,
        detail={"method": method, "signed_form": bool(kind)},
    )
    return consent


@transaction.atomic
def consent_revoke(*, consent: RecordingConsent, actor: User) -> RecordingConsent:
    if consent.revoked_at is None:
        consent.revoked_at = timezone.now()
        consent.revoked_by = actor
        consent.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(action="consent.revoke", practice=consent.practice, actor=actor, obj=consent)
    return consent


def goal_create(
    *,
    client: Client,
    actor: User,
    description: str,
    target: str = "",
    start_date: datetime.date | None = None,
    target_date: datetime.date | None = None,
) -> TreatmentGoal:
    if not description.strip():
        raise DomainError("Describe the goal.", code="goal_description")
    goal = TreatmentGoal.objects.create(
        practice=client.practice,
        client=client,
        description=description.strip(),
        target=target.strip(),
        start_date=start_date or timezone.localdate(),
        target_date=target_date,
    )
    audit_record(action="goal.create", practice=client.practice, actor=actor, obj=goal)
    return goal


def goal_update(*, goal: TreatmentGoal, actor: User, **fields: Any) -> TreatmentGoal:
    allowed = {"description", "target", "status", "start_date", "target_date"}
    unknown = set(fields) - allowed
    if unknown:
        raise DomainError(f"Unknown goal field: {', '.join(sorted(unknown))}.", code="goal_field")
    if "status" in fields and fields["status"] not in GoalStatus.values:
        raise DomainError("Goal status must be active, met or discontinued.", code="goal_status")
    for name, value in fields.items():
        setattr(goal, name, value)
    goal.save()
    audit_record(action="goal.update", practice=goal.practice, actor=actor, obj=goal)
    return goal
