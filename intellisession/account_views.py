"""Changing the sign-in e-mail address: re-authentication first, and only a verified address takes over.

With ``ACCOUNT_CHANGE_EMAIL`` allauth replaces the address when the new one is confirmed
from the link mailed to it, and tells the old address. Its page still accepts a "make
primary" post, which for an account with no verified address would switch to an
unverified one at once; that post is refused here.
"""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.account.views import EmailView
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse


class VerifiedEmailView(EmailView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if "action_primary" in request.POST and not self._verified(request, request.POST.get("email", "")):
            messages.error(
                request, "Open the link we e-mailed to the new address to confirm it; it then replaces the old one."
            )
            return HttpResponseRedirect(reverse("account_email"))
        return super().post(request, *args, **kwargs)  # type: ignore[no-any-return]

    @staticmethod
    def _verified(request: HttpRequest, email: str) -> bool:
        return EmailAddress.objects.filter(user_id=request.user.pk, email__iexact=email, verified=True).exists()


email = VerifiedEmailView.as_view()
