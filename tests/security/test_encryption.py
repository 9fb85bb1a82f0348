"""PHI at rest: ciphertext in the database, key rotation, PHI kept away from operators."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from cryptography.fernet import Fernet, InvalidToken
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import RequestFactory

from clients.models import Client
from intellisession.admin import PhiSafeModelAdmin
from intellisession.auth import MFAAdapter
from intellisession.checks import check_admin_hides_phi
from intellisession.management.commands.rotate_encryption_keys import encrypted_columns
from intellisession.models import User
from notes.models import Note
from tests.conftest import PASSWORD, World
from tests.security.conftest import browser, sign_in
from tests.test_isolation import _note

pytestmark = pytest.mark.django_db
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def raw(model: Any, pk: Any, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}"::text FROM "{model._meta.db_table}" WHERE id = %s', [pk])
        return str(cursor.fetchone()[0])


def test_phi_columns_hold_ciphertext(world: World) -> None:
    client = Client.objects.create(practice=world.a.practice, name="Canary Q. Person", external_id="EHR-778")
    assert "Canary" not in raw(Client, client.pk, "name") and "EHR-778" not in raw(Client, client.pk, "external_id")
    note = Note.objects.get(pk=_note(world.a))
    assert "Continue." not in raw(Note, note.pk, "body")


def test_rotation_discovers_every_encrypted_column() -> None:
    found = {f"{model._meta.label}.{f.name}" for model, fields in encrypted_columns() for f in fields}
    assert {
        "clients.Client.name",
        "clients.Client.date_of_birth",
        "clients.Client.external_id",
        "notes.Note.body",
        "notes.NoteVersion.body",
        "notes.NoteInput.text",
        "transcription.TranscriptSegment.text",
    } <= found


def test_key_rotation_keeps_everything_readable(world: World, settings: Any) -> None:
    old, new = settings.FIELD_ENCRYPTION_KEYS[0], Fernet.generate_key().decode()
    client = Client.objects.create(
        practice=world.a.practice, name="Rotating Name", external_id="EHR-1", date_of_birth=datetime.date(1980, 2, 3)
    )
    note_id = _note(world.a)
    user = User.objects.create_user(email="rotate@example.test", password=PASSWORD)
    TOTP.activate(user, SECRET)

    settings.FIELD_ENCRYPTION_KEYS = [new]
    name_only = Client.objects.filter(pk=client.pk).values_list("name", flat=True)
    assert name_only.get() != "Rotating Name"  # without the old key nothing opens

    settings.FIELD_ENCRYPTION_KEYS = [new, old]  # new key first: it encrypts, the old one still decrypts
    assert Client.objects.get(pk=client.pk).name == "Rotating Name"
    call_command("rotate_encryption_keys")

    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key is gone
    fresh = Client.objects.get(pk=client.pk)
    assert (fresh.name, fresh.external_id, fresh.date_of_birth) == ("Rotating Name", "EHR-1", datetime.date(1980, 2, 3))
    assert Note.objects.get(pk=note_id).document.sections[0].text == "Continue."
    assert Fernet(new.encode()).decrypt(raw(Client, client.pk, "name").encode()) == b"Rotating Name"
    with pytest.raises(InvalidToken):
        Fernet(old.encode()).decrypt(raw(Client, client.pk, "name").encode())
    stored = Authenticator.objects.get(user=user, type="totp").data["secret"]
    assert MFAAdapter().decrypt(stored) == SECRET


def test_rotation_leaves_undecryptable_values_alone_and_fails(world: World) -> None:
    good = Client.objects.create(practice=world.a.practice, name="Good", external_id="G-1")
    bad = Client.objects.create(practice=world.a.practice, name="Bad", external_id="B-1")
    foreign = Fernet(Fernet.generate_key()).encrypt(b"from another key").decode()
    Client.objects.filter(pk=bad.pk).update(name=None)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE clients_client SET name = %s WHERE id = %s", [foreign, bad.pk])
    before = raw(Client, good.pk, "name")
    with pytest.raises(CommandError, match="could not be decrypted"):
        call_command("rotate_encryption_keys")
    assert raw(Client, bad.pk, "name") == foreign
    assert raw(Client, good.pk, "name") != before and Client.objects.get(pk=good.pk).name == "Good"


# --- the operator's Django admin


def admin_request(user: User) -> Any:
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_operator_admin_leaves_phi_fields_out_by_default(settings: Any) -> None:
    operator = User.objects.create_superuser(email="ops2@example.test", password=PASSWORD)
    model_admin = PhiSafeModelAdmin(Client, admin.site)
    fields = model_admin.get_fields(admin_request(operator))
    assert "pronouns" in fields
    assert not {"name", "date_of_birth", "external_id"} & set(fields)
    form = model_admin.get_form(admin_request(operator))
    assert "name" not in form.base_fields
    settings.OPERATOR_CAN_VIEW_PHI = True
    assert "name" in model_admin.get_fields(admin_request(operator))


def test_system_check_refuses_an_admin_that_shows_phi() -> None:
    assert not check_admin_hides_phi()
    admin.site.register(Client, admin.ModelAdmin)
    try:
        errors = check_admin_hides_phi()
    finally:
        admin.site.unregister(Client)
    assert [e.id for e in errors] == ["intellisession.E002"]


def test_operator_with_mfa_reaches_practice_and_user_admin(world: World, settings: Any) -> None:
    settings.STAFF_REQUIRE_MFA = False  # MFA itself is covered in test_authentication
    operator = User.objects.create_superuser(email="ops3@example.test", password=PASSWORD)
    client = browser()
    sign_in(client, operator)
    assert client.get("/admin/intellisession/practice/").status_code == 200
    users = client.get("/admin/intellisession/user/").content.decode()
    assert world.a.clinician.email in users
    change = client.get(f"/admin/intellisession/practice/{world.a.practice.pk}/change/").content.decode()
    assert "require_mfa" in change and "transcript_retention" in change
    assert world.a.client.name not in change
