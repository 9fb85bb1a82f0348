"""The page an invited person lands on from the e-mailed link."""

from __future__ import annotations

from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from intellisession import selectors, services
from intellisession.errors import DomainError
from intellisession.forms import AcceptInvitationForm
from intellisession.models import Invitation, User

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@never_cache
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return render(request, "practice_admin/invitation_invalid.html", status=404)
    if request.user.is_authenticated:
        return _accept_signed_in(request, token, invitation)
    if selectors.account_exists(email=invitation.email):
        return render(request, "practice_admin/invitation_sign_in.html", {"invitation": invitation})
    return _accept_new_account(request, token, invitation)


def _accept_signed_in(request: HttpRequest, token: str, invitation: Invitation) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    context = {"invitation": invitation, "wrong_account": user.email.lower() != invitation.email}
    if request.method == "POST" and not context["wrong_account"]:
        try:
            membership = services.invitation_accept(token=token, user=user, request=request)
        except DomainError as error:
            context["error"] = error.message
        else:
            return redirect("dashboard", practice_slug=membership.practice.slug)
    return render(request, "practice_admin/invitation_join.html", context)


def _accept_new_account(request: HttpRequest, token: str, invitation: Invitation) -> HttpResponse:
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.invitation_accept(
                token=token,
                password=form.cleaned_data["password1"],
                full_name=form.cleaned_data["full_name"],
                request=request,
            )
        except DomainError as error:
            form.add_error("password1" if error.code == "weak_password" else None, error.message)
        else:
            login(request, membership.user, backend=MODEL_BACKEND)
            return redirect("dashboard", practice_slug=membership.practice.slug)
    context = {"invitation": invitation, "form": form}
    return render(request, "practice_admin/invitation_accept.html", context, status=400 if form.errors else 200)
