from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from clients.selectors import client_list
from intellisession.access import attach_practice, practices_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    practices = practices_for(request.user)  # type: ignore[arg-type]
    if len(practices) == 1:
        return redirect("dashboard", practice_slug=practices[0].slug)
    return render(request, "home.html", {"practices": practices})


@login_required
def dashboard(request: HttpRequest, practice_slug: str) -> HttpResponse:
    request = attach_practice(request, practice_slug)
    clients = client_list(practice=request.practice, membership=request.membership)
    return render(request, "dashboard.html", {"clients": clients})


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})
