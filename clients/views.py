from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from clients.access import get_client_for_user
from clients.forms import ClientForm
from clients.services import client_create, client_update
from intellisession.access import attach_practice
from intellisession.errors import DomainError


@login_required
def client_detail(request: HttpRequest, practice_slug: str, client_id: uuid.UUID) -> HttpResponse:
    request = attach_practice(request, practice_slug)
    client = get_client_for_user(request, client_id)
    return render(request, "clients/detail.html", {"client": client})


@login_required
def client_new(request: HttpRequest, practice_slug: str) -> HttpResponse:
    request = attach_practice(request, practice_slug)
    form = ClientForm(request.POST or None, practice=request.practice)
    if request.method == "POST" and form.is_valid():
        try:
            client = client_create(practice=request.practice, actor=request.user, **_client_fields(form))
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            return redirect("client-detail", practice_slug=practice_slug, client_id=client.pk)
    return render(request, "clients/form.html", {"form": form, "client": None}, status=400 if form.errors else 200)


@login_required
def client_edit(request: HttpRequest, practice_slug: str, client_id: uuid.UUID) -> HttpResponse:
    request = attach_practice(request, practice_slug)
    client = get_client_for_user(request, client_id)
    initial = {
        "name": client.name,
        "date_of_birth": client.date_of_birth,
        "pronouns": client.pronouns,
        "external_id": client.external_id,
        "assigned_clinician_ids": [str(u.pk) for u in client.assigned_clinicians.all()],
    }
    form = ClientForm(request.POST or None, initial=initial, practice=request.practice)
    if request.method == "POST" and form.is_valid():
        try:
            client_update(client=client, actor=request.user, **_client_fields(form))
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            return redirect("client-detail", practice_slug=practice_slug, client_id=client.pk)
    return render(request, "clients/form.html", {"form": form, "client": client}, status=400 if form.errors else 200)


def _client_fields(form: ClientForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data["assigned_clinician_ids"] = data.get("assigned_clinician_ids") or None
    return data
