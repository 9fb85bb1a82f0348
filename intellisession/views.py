from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static

from intellisession.access import practices_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    practices = practices_for(request.user)  # type: ignore[arg-type]
    if len(practices) == 1:
        return redirect("dashboard", practice_slug=practices[0].slug)
    return render(request, "home.html", {"practices": practices})


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers and tools that ask for /favicon.ico before reading a page's icon link get the icon."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))
