"""Templates (admins copy and change them), the practice's default style, and each clinician's
preferred template and standing instructions (general, per template, per client)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from clients.access import get_client_for_user
from intellisession.access import PracticeRequest, attach_practice, require_admin
from intellisession.errors import DomainError
from notes.access import get_template_for_user
from notes.forms import (
    DefaultStyleForm,
    InstructionForm,
    PreferenceForm,
    TemplateCreateForm,
    TemplateInstructionForm,
    TemplateNameForm,
    sections_from_post,
)
from notes.models import InstructionLevel
from notes.selectors import instruction_of, note_template_list, preferred_style, template_instruction_list
from notes.services.templates import (
    instruction_set,
    practice_default_style_set,
    preference_set,
    template_archive,
    template_create,
    template_update,
)
from notes.styles import BUILTIN_STYLES, ROLES


@login_required
def template_list(request: HttpRequest, practice_slug: str) -> HttpResponse:
    request = attach_practice(request, practice_slug)
    form = TemplateCreateForm(request.POST or None, practice=request.practice)
    if request.method == "POST":
        require_admin(request)
        if form.is_valid():
            try:
                template = template_create(
                    practice=request.practice,
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    based_on=form.cleaned_data["based_on"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, "Template created. Change its sections below.")
                return redirect("note-template-edit", practice_slug=practice_slug, template_id=template.pk)
    return _templates_page(request, form=form)


def _templates_page(
    request: PracticeRequest, *, form: TemplateCreateForm | None = None, default_form: DefaultStyleForm | None = None
) -> HttpResponse:
    form = form if form is not None else TemplateCreateForm(practice=request.practice)
    default_form = default_form if default_form is not None else DefaultStyleForm(practice=request.practice)
    templates = note_template_list(practice=request.practice)
    context = {
        "form": form,
        "default_form": default_form,
        "builtins": BUILTIN_STYLES.values(),
        "templates": templates,
        "is_admin": request.membership.is_admin,
    }
    return render(request, "notes/templates.html", context, status=400 if form.errors or default_form.errors else 200)


class PracticeDefaultStyle(LoginRequiredMixin, View):
    """The practice's default note style, chosen by an admin where the styles are listed."""

    def post(self, request: HttpRequest, practice_slug: str) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        require_admin(request)
        form = DefaultStyleForm(request.POST, practice=request.practice)
        if not form.is_valid():
            return _templates_page(request, default_form=form)
        try:
            practice_default_style_set(
                practice=request.practice,
                actor=request.user,
                request=request,
                style_key=form.cleaned_data["default_style"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
            return _templates_page(request, default_form=form)
        messages.success(request, "Practice default style saved.")
        return redirect("note-templates", practice_slug=practice_slug)


@login_required
def template_edit(request: HttpRequest, practice_slug: str, template_id: uuid.UUID) -> HttpResponse:
    request = attach_practice(request, practice_slug)
    template = get_template_for_user(request, template_id)
    form = TemplateNameForm(request.POST or None, initial={"name": template.name})
    sections: list[dict[str, str]] = list(template.sections)
    if request.method == "POST":
        require_admin(request)
        sections = sections_from_post(request.POST)
        if form.is_valid():
            try:
                template_update(
                    template=template, actor=request.user, name=form.cleaned_data["name"], sections=sections
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, "Template saved.")
                return redirect("note-template-edit", practice_slug=practice_slug, template_id=template.pk)
    context = {
        "template": template,
        "form": form,
        "sections": sections,
        "roles": sorted(ROLES),
        "is_admin": request.membership.is_admin,
    }
    return render(request, "notes/template_edit.html", context, status=400 if form.errors else 200)


class TemplateRemove(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, practice_slug: str, template_id: uuid.UUID) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        template = get_template_for_user(request, template_id)
        require_admin(request)
        template_archive(template=template, actor=request.user)
        messages.success(request, "Template removed.")
        return redirect("note-templates", practice_slug=practice_slug)


@login_required
def note_settings(request: HttpRequest, practice_slug: str) -> HttpResponse:
    """The clinician's preferred template and standing instructions (general and per template)."""
    request = attach_practice(request, practice_slug)
    forms_ = _settings_forms(request)
    if request.method == "POST":
        which = request.POST.get("form", "")
        handler = {"preference": _save_preference, "general": _save_general, "template": _save_template}.get(which)
        if handler is not None and handler(request, forms_):
            return redirect("note-settings", practice_slug=practice_slug)
    status = 400 if any(f.errors for f in forms_.values()) else 200
    instructions = template_instruction_list(practice=request.practice, owner=request.user)
    context = {**forms_, "template_instructions": instructions}
    return render(request, "notes/settings.html", context, status=status)


def _settings_forms(request: PracticeRequest) -> dict[str, Any]:
    general = instruction_of(practice=request.practice, level=InstructionLevel.GENERAL, owner=request.user)
    posted = request.POST.get("form") if request.method == "POST" else None
    data = {name: (request.POST if posted == name else None) for name in ("preference", "general", "template")}
    return {
        "preference": PreferenceForm(
            data["preference"],
            practice=request.practice,
            initial={"style": preferred_style(practice=request.practice, user=request.user)},
            auto_id="pref-%s",
        ),
        "general": InstructionForm(
            data["general"], initial={"text": general.text if general else ""}, auto_id="general-%s"
        ),
        "template": TemplateInstructionForm(data["template"], practice=request.practice, auto_id="tpl-%s"),
    }


def _settings_save(request: PracticeRequest, form: Any, save: Any, done: str) -> bool:
    if not form.is_valid():
        return False
    try:
        save(form.cleaned_data)
    except DomainError as error:
        form.add_error(None, error.message)
        return False
    messages.success(request, done)
    return True


def _save_preference(request: PracticeRequest, forms_: dict[str, Any]) -> bool:
    return _settings_save(
        request,
        forms_["preference"],
        lambda data: preference_set(membership=request.membership, preferred_style=data["style"]),
        "Preferred template saved.",
    )


def _save_general(request: PracticeRequest, forms_: dict[str, Any]) -> bool:
    return _settings_save(
        request,
        forms_["general"],
        lambda data: instruction_set(membership=request.membership, level=InstructionLevel.GENERAL, text=data["text"]),
        "Instruction saved.",
    )


def _save_template(request: PracticeRequest, forms_: dict[str, Any]) -> bool:
    return _settings_save(
        request,
        forms_["template"],
        lambda data: instruction_set(
            membership=request.membership, level=InstructionLevel.TEMPLATE, text=data["text"], style_key=data["style"]
        ),
        "Template instruction saved.",
    )


class ClientInstruction(LoginRequiredMixin, View):
    """The standing instruction for one client's notes, edited on the client page."""

    def post(self, request: HttpRequest, practice_slug: str, client_id: uuid.UUID) -> HttpResponse:
        request = attach_practice(request, practice_slug)
        client = get_client_for_user(request, client_id)
        form = InstructionForm(request.POST)
        if form.is_valid():
            try:
                instruction_set(
                    membership=request.membership,
                    level=InstructionLevel.CLIENT,
                    text=form.cleaned_data["text"],
                    client=client,
                )
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, "Instruction for this client saved.")
        url = reverse("client-detail", kwargs={"practice_slug": practice_slug, "client_id": client.pk})
        return redirect(url + "#instruction")
