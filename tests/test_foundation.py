"""Foundation: demo data, sign-in, schema, services, audit log."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client as BrowserClient

from intellisession.audit import audit_record
from intellisession.models import AuditEvent
from notes.demo import DEMO_CLINICIAN

pytestmark = pytest.mark.django_db


def seed() -> dict[str, object]:
    out = StringIO()
    call_command("seed_demo", "--json", stdout=out)
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


def test_seed_demo_is_idempotent() -> None:
    first, second = seed(), seed()
    assert first == second
    assert first["practice"] == "demo" and len(first["clients"]) == 3  # type: ignore[arg-type]


def test_demo_clinician_signs_in_and_sees_demo_clients(client: BrowserClient) -> None:
    demo = seed()
    response = client.post(
        "/accounts/login/", {"login": DEMO_CLINICIAN["email"], "password": DEMO_CLINICIAN["password"]}, follow=True
    )
    assert response.status_code == 200
    page = response.content.decode()
    for row in demo["clients"]:  # type: ignore[attr-defined]
        assert row["name"] in page


def test_wrong_password_does_not_sign_in(client: BrowserClient) -> None:
    seed()
    response = client.post("/accounts/login/", {"login": DEMO_CLINICIAN["email"], "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_signup_is_closed(client: BrowserClient) -> None:
    form = {"email": "x@example.com", "password1": "a" * 20, "password2": "a" * 20}
    response = client.post("/accounts/signup/", form)
    assert "x@example.com" not in str(response.content)
    from intellisession.models import User

    assert not User.objects.filter(email="x@example.com").exists()


def test_anonymous_user_is_sent_to_sign_in(client: BrowserClient) -> None:
    response = client.get("/p/demo/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_api_schema_is_served_to_signed_in_users(client: BrowserClient) -> None:
    from intellisession.models import User

    assert client.get("/api/schema/").status_code in (401, 403)
    client.force_login(User.objects.create_user(email="schema-reader@example.test", password="x" * 16))
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/practices/{practice_slug}/clients/" in response.content


def test_database_is_postgresql() -> None:
    assert connection.vendor == "postgresql"


def test_audit_events_cannot_be_changed_or_deleted() -> None:
    event = audit_record(action="test.event", object_type="thing", object_id="1")
    with pytest.raises(RuntimeError):
        event.save()
    for sql in (
        "UPDATE intellisession_auditevent SET action = 'x' WHERE id = %s",
        "DELETE FROM intellisession_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"


def test_cache_is_redis() -> None:
    from django.core.cache import cache

    cache.set("ping", "pong", 5)
    assert cache.get("ping") == "pong"
    from django.conf import settings

    assert "RedisCache" in settings.CACHES["default"]["BACKEND"]
