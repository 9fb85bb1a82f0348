"""Note panels for pages of lower apps (the client page), without those apps importing notes."""

from __future__ import annotations

from typing import Any

from django import template

from clients.models import Client
from notes import panels

register = template.Library()


@register.inclusion_tag("notes/_client_timeline.html", takes_context=True)
def client_notes_timeline(context: dict[str, Any], client: Client) -> dict[str, Any]:
    return {"request": context["request"], **panels.timeline_context(context["request"], client)}


@register.inclusion_tag("notes/_goal_chart.html", takes_context=True)
def goal_progress_chart(context: dict[str, Any], client: Client) -> dict[str, Any]:
    return {"request": context["request"], **panels.chart_context(context["request"], client)}


@register.inclusion_tag("notes/_client_instruction.html", takes_context=True)
def client_instruction(context: dict[str, Any], client: Client) -> dict[str, Any]:
    return {
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        **panels.client_instruction_context(context["request"], client),
    }


@register.inclusion_tag("notes/_generate_dialog.html", takes_context=True)
def generate_note_dialog(context: dict[str, Any], client: Client) -> dict[str, Any]:
    return {
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        **panels.generate_context(context["request"], client),
    }
