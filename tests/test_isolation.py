"""Walks the URL configuration so every URL that takes an object id is checked,
including URLs added later: another practice's member gets 404, a read-only
member's write gets 403.

A new URL keyword or API model needs an entry in OBJECTS below; the walk fails
until it has one, so nothing is left unchecked by accident.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client as BrowserClient
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import Side, World, api_client_for
from tests.documents import note_body


def _consent(side: Side) -> Any:
    """A consent with its signed form kept, so the form's own URL has something to answer with."""
    from django.core.files.base import ContentFile

    from clients.models import RecordingConsent

    consent, created = RecordingConsent.objects.get_or_create(
        practice=side.practice, client=side.client, defaults={"given_on": "2026-01-05", "recorded_by": side.clinician}
    )
    if created:
        consent.signed_form.save("form", ContentFile(b"%PDF-1.4\n"), save=False)
        consent.signed_form_kind = "pdf"
        consent.save()
    return consent.pk


def _goal(side: Side) -> Any:
    from clients.models import TreatmentGoal

    goal, _ = TreatmentGoal.objects.get_or_create(
        practice=side.practice, client=side.client, defaults={"description": "Sleep 7 hours", "target": "5 nights"}
    )
    return goal.pk


def _note_request(side: Side) -> Any:
    from notes.models import NoteRequest

    request, _ = NoteRequest.objects.get_or_create(
        practice=side.practice,
        client=side.client,
        defaults={
            "created_by": side.clinician,
            "style_key": "soap",
            "date_of_service": "2026-01-05",
            "summary_only": True,
            "status": "failed",
        },
    )
    return request.pk


def _note(side: Side) -> Any:
    """A draft note (helpers in other test modules build on it)."""
    from notes.models import Note, NoteRequest

    request = NoteRequest.objects.get(pk=_note_request(side))
    note, _ = Note.objects.get_or_create(
        practice=side.practice,
        client=side.client,
        request=request,
        defaults={
            "author": side.clinician,
            "style_key": "soap",
            "style_name": "SOAP",
            "date_of_service": "2026-01-05",
            "body": note_body({"plan": "Continue."}),
        },
    )
    return note.pk


# URL keyword (or "app_label.model" for a viewset's `pk`) -> the object of that kind in a practice.
OBJECTS: dict[str, Callable[[Side], Any]] = {
    "client_id": lambda side: side.client.pk,
    "clients.client": lambda side: side.client.pk,
    "clients.recordingconsent": _consent,
    "clients.treatmentgoal": _goal,
    "notes.noterequest": _note_request,
}


def _invitation(side: Side) -> Any:
    from intellisession.services import invitation_create

    return invitation_create(
        practice=side.practice, email="invitee@example.test", role="clinician", actor=side.admin
    ).invitation.pk


# Practice administration: a member of the practice, and a pending invitation.
OBJECTS["membership_id"] = lambda side: side.practice.memberships.get(user=side.clinician).pk
OBJECTS["invitation_id"] = _invitation


# Clinician pages: a signed note (read-only members read signed notes only), a note request,
# a practice template, a browser recording in progress, and the objects of the client page.
def _signed_note(side: Side) -> Any:
    from notes.models import Note, NoteStatus

    note, _ = Note.objects.get_or_create(
        practice=side.practice,
        client=side.client,
        style_key="dap",
        status=NoteStatus.SIGNED,
        defaults={
            "author": side.clinician,
            "style_name": "DAP",
            "date_of_service": "2026-01-06",
            "body": note_body({"data": "Talked."}),
        },
    )
    return note.pk


def _template(side: Side) -> Any:
    from notes.models import NoteTemplate

    template, _ = NoteTemplate.objects.get_or_create(
        practice=side.practice,
        name="Short SOAP",
        defaults={
            "created_by": side.admin,
            "based_on": "soap",
            "sections": [{"key": "plan", "title": "Plan", "instructions": "", "role": "plan"}],
        },
    )
    return template.pk


def _upload(side: Side) -> Any:
    from transcription.models import AudioUpload

    upload, _ = AudioUpload.objects.get_or_create(practice=side.practice, client=side.client, created_by=side.clinician)
    return upload.pk


OBJECTS["note_id"] = _signed_note
OBJECTS["notes.note"] = _signed_note
OBJECTS["request_id"] = _note_request
OBJECTS["template_id"] = _template
OBJECTS["upload_id"] = _upload
OBJECTS["seq"] = lambda side: 0


def _version(side: Side) -> Any:
    """An earlier version of the practice's note (a note keeps versions from before it was signed)."""
    from notes.models import Note, NoteVersion, VersionReason

    note = Note.objects.get(pk=_signed_note(side))
    version, _ = NoteVersion.objects.get_or_create(
        practice=side.practice,
        note=note,
        number=1,
        defaults={"reason": VersionReason.REGENERATED, "body": note.body, "created_by": side.clinician},
    )
    return version.number


OBJECTS["number"] = _version
OBJECTS["goal_id"] = _goal
OBJECTS["consent_id"] = _consent

OUR_APPS = ("intellisession", "clients", "transcription", "notes")
WRITE_METHODS = ("post", "put", "patch", "delete")


@dataclass
class Route:
    name: str
    pattern: str
    kwargs: list[str]
    callback: Any

    @property
    def is_api(self) -> bool:
        return hasattr(self.callback, "cls")

    def methods(self) -> list[str]:
        actions = getattr(self.callback, "actions", None)
        if actions is not None:
            return list(actions)
        view_class = getattr(self.callback, "view_class", None) or getattr(self.callback, "cls", None)
        if view_class is not None:
            return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(view_class, m)]
        return ["get", "post"]

    def id_kind(self, kwarg: str) -> str:
        if kwarg == "pk" and self.is_api:
            model = self.callback.cls.queryset.model
            return f"{model._meta.app_label}.{model._meta.model_name}"
        return kwarg


def _walk(resolver: URLResolver, prefix: str = "", outer: tuple[str, ...] = ()) -> Iterator[Route]:
    for entry in resolver.url_patterns:
        kwargs = (*outer, *entry.pattern.regex.groupindex)
        if isinstance(entry, URLResolver):
            yield from _walk(entry, prefix + str(entry.pattern), kwargs)
        elif isinstance(entry, URLPattern):
            callback = entry.callback
            owner = getattr(callback, "cls", None) or getattr(callback, "view_class", None) or callback
            if owner.__module__.split(".")[0] not in OUR_APPS:
                continue
            pattern = prefix + str(entry.pattern)
            assert entry.name, f"{pattern}: every URL needs a name"
            yield Route(name=entry.name or pattern, pattern=pattern, kwargs=list(kwargs), callback=callback)


def practice_routes() -> list[Route]:
    routes = [r for r in _walk(get_resolver()) if "practice_slug" in r.kwargs and "format" not in r.kwargs]
    assert len(routes) >= 5, "the URL walk found too few practice URLs; is it still reading the resolver?"
    return routes


def _fill(route: Route, side_for_ids: Side, slug: str) -> str:
    values: dict[str, str] = {"practice_slug": slug}
    for kwarg in route.kwargs:
        if kwarg == "practice_slug":
            continue
        kind = route.id_kind(kwarg)
        if kind not in OBJECTS:
            raise AssertionError(f"{route.pattern}: register the object for {kind!r} in tests/test_isolation.py")
        values[kwarg] = str(OBJECTS[kind](side_for_ids))
    return reverse(route.name, kwargs=values)


def _request(route: Route, user: Any, method: str, path: str) -> int:
    if route.is_api:
        api = api_client_for(user)
        return int(getattr(api, method)(path, {}, format="json").status_code)
    browser = BrowserClient()
    browser.force_login(user)
    return int(getattr(browser, method)(path).status_code)


def _object_routes() -> list[Route]:
    routes = [r for r in practice_routes() if len(r.kwargs) > 1]
    assert routes, "the URL walk found no object URLs"
    return routes


def test_the_walk_finds_object_urls() -> None:
    names = {r.name for r in _object_routes()}
    assert {"client-detail", "client-edit", "api-client-detail"} <= names
    assert any(r.is_api for r in _object_routes())


def _mismatches(
    routes: list[Route],
    *,
    user: Any,
    ids_from: Side,
    slug: str,
    expected: int,
    methods: tuple[str, ...] = ("get", "post", "put", "patch", "delete"),
) -> list[str]:
    """Every (method, URL) whose status is not the expected one, as readable lines."""
    failures = []
    for route in routes:
        path = _fill(route, ids_from, slug)
        for method in (m for m in route.methods() if m in methods):
            status = _request(route, user, method, path)
            if status != expected:
                failures.append(f"{method.upper()} {path} ({route.name}) -> {status}")
    return failures


@pytest.mark.django_db
def test_other_practice_objects_are_404_in_own_practice_url(world: World) -> None:
    failures = _mismatches(
        _object_routes(), user=world.a.admin, ids_from=world.b, slug=world.a.practice.slug, expected=404
    )
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_other_practice_urls_are_404_for_non_members(world: World) -> None:
    failures = _mismatches(
        practice_routes(), user=world.a.admin, ids_from=world.b, slug=world.b.practice.slug, expected=404
    )
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_read_only_member_writes_are_403(world: World) -> None:
    failures = _mismatches(
        practice_routes(),
        user=world.a.reader,
        ids_from=world.a,
        slug=world.a.practice.slug,
        expected=403,
        methods=WRITE_METHODS,
    )
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_read_only_member_can_read(world: World) -> None:
    for route in practice_routes():
        if "get" not in route.methods():
            continue
        path = _fill(route, world.a, world.a.practice.slug)
        view = getattr(route.callback, "cls", route.callback)
        expected = 403 if getattr(view, "admin_only", False) else 200  # practice admin pages and API
        assert _request(route, world.a.reader, "get", path) == expected, path


@pytest.mark.django_db
def test_clinician_sees_only_own_caseload(world: World) -> None:
    from clients.models import Client

    other = Client.objects.create(practice=world.a.practice, name="Not on caseload")
    api = api_client_for(world.a.clinician)
    base = f"/api/v1/practices/{world.a.practice.slug}/clients/"
    ids = {row["id"] for row in api.get(base).json()["results"]}
    assert str(world.a.client.pk) in ids and str(other.pk) not in ids
    assert api.get(f"{base}{other.pk}/").status_code == 404
    world.a.practice.share_caseload = True
    world.a.practice.save()
    assert api.get(f"{base}{other.pk}/").status_code == 200


@pytest.mark.django_db
def test_other_practice_clinician_in_body_is_400(world: World) -> None:
    api = api_client_for(world.a.clinician)
    base = f"/api/v1/practices/{world.a.practice.slug}/clients/"
    body = {"name": "New client", "assigned_clinician_ids": [str(world.b.clinician.pk)]}
    response = api.post(base, body, format="json")
    assert response.status_code == 400
    assert "not a member of this practice" in response.json()["error"]["message"]
    response = api.patch(f"{base}{world.a.client.pk}/", body, format="json")
    assert response.status_code == 400


@pytest.mark.django_db
@pytest.mark.django_db
def test_other_practice_client_in_body_is_400(world: World) -> None:
    api = api_client_for(world.a.clinician)
    base = f"/api/v1/practices/{world.a.practice.slug}"
    other = str(world.b.client.pk)
    bodies = {
        "consents/": {"client_id": other, "given_on": "2026-01-05"},
        "goals/": {"client_id": other, "description": "Walk daily"},
        "note-requests/": {"client_id": other, "summary_only": True, "session_summary": "Talked about sleep."},
    }
    for path, body in bodies.items():
        response = api.post(f"{base}/{path}", body, format="json")
        assert response.status_code == 400, (path, response.status_code)
        assert "not one of this practice's clients" in response.json()["error"]["message"]


def test_other_practice_clinician_in_form_is_400(world: World) -> None:
    browser = BrowserClient()
    browser.force_login(world.a.clinician)
    response = browser.post(
        f"/p/{world.a.practice.slug}/clients/new/",
        {"name": "New client", "assigned_clinician_ids": [str(world.b.clinician.pk)]},
    )
    assert response.status_code == 400


def test_unknown_uuid_is_404_not_500(client: BrowserClient, world: World) -> None:
    client.force_login(world.a.admin)
    assert client.get(f"/p/{world.a.practice.slug}/clients/{uuid.uuid4()}/").status_code == 404


# --- Malformed input: every route, with ids that are not ids and parameters out of range, answers
# 400 or 404 (the API in its documented error shape), never 500.

OBJECTS["intellisession.apitoken"] = lambda side: _api_token(side)


def _api_token(side: Side) -> Any:
    from intellisession.tokens import api_token_issue

    return api_token_issue(user=side.clinician, second_factor=True).token.pk


_ID_SENTINEL = uuid.UUID("00000000-0000-4000-8000-00000000a1d0")
_SEQ_SENTINEL = 987654321
MALFORMED_ID = "not-an-id"
MALFORMED_QUERY = {
    "client": "x",
    "limit": "999999999999999999999",
    "offset": "999999999999999999999",
    "as": "xml",
    "status": "x",
    "page": "x",
}
MALFORMED_BODY = {
    "client_id": "x",
    "upload_id": "x",
    "section-count": "abc",
    "date_of_service": "9999-99-99",
    "given_on": "x",
    "index": "99999999999999999999999",
    "section": "x",
    "sections": "x",
    "style_key": "x",
    "style": "x",
    "role": "x",
    "seq": "x",
    "start_date": "x",
    "target_date": "x",
}


INT_KWARGS = frozenset({"seq", "number"})  # URL parts that are numbers, not ids


def _malformed_paths(route: Route, side: Side, slug: str) -> list[str]:
    """The route's URL once per id in it, that id replaced by something that is not an id."""
    paths = []
    for target in (k for k in route.kwargs if k != "practice_slug"):
        values: dict[str, Any] = {"practice_slug": slug}
        for kwarg in (k for k in route.kwargs if k != "practice_slug"):
            if kwarg == target:
                values[kwarg] = _SEQ_SENTINEL if kwarg in INT_KWARGS else _ID_SENTINEL
            else:
                values[kwarg] = OBJECTS[route.id_kind(kwarg)](side)
        sentinel = str(_SEQ_SENTINEL if target in INT_KWARGS else _ID_SENTINEL)
        paths.append(reverse(route.name, kwargs=values).replace(sentinel, MALFORMED_ID))
    return paths


def _call(route: Route, user: Any, method: str, path: str, data: dict[str, Any] | None = None) -> Any:
    if route.is_api:
        api = api_client_for(user)
        api.raise_request_exception = False
        return getattr(api, method)(path, data or {}, format="json")
    browser = BrowserClient(raise_request_exception=False)
    browser.force_login(user)
    return getattr(browser, method)(path, data or {})


def _shape_problem(route: Route, response: Any) -> str | None:
    """Why an error answer of an API route is not in the documented shape, or None."""
    if not route.is_api or response.status_code < 400 or response.request["REQUEST_METHOD"] == "HEAD":
        return None  # pages answer with pages; HEAD answers have no body
    try:
        body = response.json()
    except ValueError:
        return "not JSON"
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or not {"code", "message"} <= set(error):
        return f"shape {str(body)[:120]}"
    return None


@pytest.mark.django_db
def test_malformed_ids_in_every_url_are_404_or_400_never_500(world: World) -> None:
    failures = []
    for route in _object_routes():
        for path in _malformed_paths(route, world.a, world.a.practice.slug):
            for method in route.methods():
                response = _call(route, world.a.admin, method, path)
                problem = _shape_problem(route, response)
                if response.status_code not in (400, 404) or problem:
                    failures.append(f"{method.upper()} {path} ({route.name}) -> {response.status_code} {problem or ''}")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_malformed_query_parameters_on_every_url_are_never_500(world: World) -> None:
    failures = []
    for route in practice_routes():
        if "get" not in route.methods():
            continue
        path = _fill(route, world.a, world.a.practice.slug) + "?" + urlencode(MALFORMED_QUERY)
        response = _call(route, world.a.admin, "get", path)
        problem = _shape_problem(route, response)
        allowed = (200, 400) if route.is_api else (200, 302, 400, 404, 405)  # 405: a POST-only page
        if response.status_code not in allowed or problem:
            failures.append(f"GET {path} ({route.name}) -> {response.status_code} {problem or ''}")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_malformed_bodies_on_every_write_are_never_500(world: World) -> None:
    failures = []
    for route in practice_routes():
        path = _fill(route, world.a, world.a.practice.slug)
        for method in (m for m in route.methods() if m in ("post", "put", "patch")):
            response = _call(route, world.a.admin, method, path, MALFORMED_BODY)
            problem = _shape_problem(route, response)
            if response.status_code >= 500 or problem:
                failures.append(f"{method.upper()} {path} ({route.name}) -> {response.status_code} {problem or ''}")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_options_on_every_api_url_answers(world: World) -> None:
    failures = []
    for route in (r for r in practice_routes() if r.is_api):
        path = _fill(route, world.a, world.a.practice.slug)
        response = _call(route, world.a.clinician, "options", path)
        if response.status_code not in (200, 403):  # 403: admin-only routes refuse a clinician
            failures.append(f"OPTIONS {path} ({route.name}) -> {response.status_code}")
    assert not failures, "\n".join(failures)
