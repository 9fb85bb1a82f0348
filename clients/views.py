from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from clients.access import get_client_for_user, get_consent_for_client, get_goal_for_client
from clients.consent_form import consent_form_pdf
from clients.forms import ClientForm, ConsentForm, GoalForm
from clients.models import Client
from clients.selectors import assigned_clinician_ids, client_list, consent_active, consent_list, goal_list
from clients.services import client_create, client_update, consent_revoke, goal_create, goal_update
from intellisession.access import PracticeRequest, attach_practice
from intellisession.audit import audit_record
from intellisession.errors import DomainError


@login_required
def dashboard(request: HttpRequest, practice_slug: str) -> HttpResponse:
    """The practice's home page: the clients the member may see."""
    request = attach_practice(request, practice_slug)
    clients = client_list(practice=request.practice, membership=request.membership)
    return render(request, "clients/dashboard.html", {"clients": clients})


@login_required
def client_detail(request: HttpRequest, practice_slug: str, client_id: uuid.UUID) -> HttpResponse:
    request = attach_practice(request, practice_slug)
    client = get_client_for_user(request, client_id)
    return render(request, "clients/detail.html", _detail_context(request, client))


def _detail_context(request: PracticeRequest, client: Client, **forms_: Any) -> dict[str, Any]:
    practice = request.practice
    return {
        "client": client,
        "consent": consent_active(practice=practice, client=client),
        "consents": consent_list(practice=practice, client=client),
        "goals": goal_list(practice=practice, client=client),
        "consent_form": forms_.get("consent_form") or ConsentForm(initial={"given_on": timezone.localdate()}),
        "goal_form": forms_.get("goal_form") or GoalForm(),
    }


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
        "medications": client.medications,
        "assigned_clinician_ids": assigned_clinician_ids(practice=request.practice, client=client),
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


# --- Recording consent and treatment goals, on the client page ---------------------------


def _client_url(client: Client, anchor: str = "") -> str:
    return reverse("client-detail", kwargs={"practice_slug": client.practice.slug, "client_id": client.pk}) + anchor


class ConsentRecord(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, practice_slug: str, client_id: uuid.UUID) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        client = get_client_for_user(request, client_id)
        form = ConsentForm(request.POST, request.FILES)
        if form.record(client, request.user, error_field="given_on"):
            messages.success(request, "Recording consent recorded.")
            return redirect(_client_url(client, "#consent"))
        return render(request, "clients/detail.html", _detail_context(request, client, consent_form=form), status=400)


class ConsentRevoke(LoginRequiredMixin, View):
    def post(
        self, request: HttpRequest, practice_slug: str, client_id: uuid.UUID, consent_id: uuid.UUID
    ) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        client = get_client_for_user(request, client_id)
        consent_revoke(consent=get_consent_for_client(client, consent_id), actor=request.user)
        messages.success(request, "Recording consent revoked. Recording is no longer available for this client.")
        return redirect(_client_url(client, "#consent"))


class ConsentFormPdf(LoginRequiredMixin, View):
    """The consent form filled in with the client's, practice's and clinician's names, to sign."""

    def get(self, request: HttpRequest, practice_slug: str, client_id: uuid.UUID) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        client = get_client_for_user(request, client_id)
        pdf = consent_form_pdf(request.practice, client=client, clinician=request.user)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = 'attachment; filename="recording-consent-form.pdf"'
        return response


class ConsentSignedForm(LoginRequiredMixin, View):
    """The signed form kept with a consent record; each viewing is an audit event."""

    CONTENT_TYPES = {"pdf": "application/pdf", "jpeg": "image/jpeg", "png": "image/png"}

    def get(
        self, request: HttpRequest, practice_slug: str, client_id: uuid.UUID, consent_id: uuid.UUID
    ) -> FileResponse:
        request = attach_practice(request, practice_slug)
        client = get_client_for_user(request, client_id)
        consent = get_consent_for_client(client, consent_id)
        if not consent.signed_form:
            raise Http404("No signed form is kept with this consent.")
        audit_record(
            action="consent.form_view", practice=request.practice, actor=request.user, obj=consent, request=request
        )
        kind = consent.signed_form_kind
        response = FileResponse(
            consent.signed_form.open("rb"), content_type=self.CONTENT_TYPES.get(kind, "application/octet-stream")
        )
        response["Content-Disposition"] = (
            f'attachment; filename="signed-consent-{consent.given_on.isoformat()}.{kind or "bin"}"'
        )
        return response


class GoalAdd(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, practice_slug: str, client_id: uuid.UUID) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        client = get_client_for_user(request, client_id)
        form = GoalForm(request.POST)
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "status"}
            try:
                goal_create(client=client, actor=request.user, **data)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, "Goal added.")
                return redirect(_client_url(client, "#goals"))
        return render(request, "clients/detail.html", _detail_context(request, client, goal_form=form), status=400)


@login_required
def goal_edit(request: HttpRequest, practice_slug: str, client_id: uuid.UUID, goal_id: uuid.UUID) -> HttpResponse:
    request = attach_practice(request, practice_slug)
    client = get_client_for_user(request, client_id)
    goal = get_goal_for_client(client, goal_id)
    initial = {name: getattr(goal, name) for name in ("description", "target", "status", "start_date", "target_date")}
    form = GoalForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            goal_update(goal=goal, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, "Goal saved.")
            return redirect(_client_url(client, "#goals"))
    context = {"client": client, "goal": goal, "form": form}
    return render(request, "clients/goal_form.html", context, status=400 if form.errors else 200)
