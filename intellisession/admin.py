"""The operator's Django admin: practices, users, memberships, invitations, audit log.

Operators run the service but do not read PHI through it by default: any model
admin built on ``PhiSafeModelAdmin`` leaves encrypted fields out of its forms,
lists and searches unless ``OPERATOR_CAN_VIEW_PHI`` is set.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from intellisession.fields import EncryptedFieldMixin
from intellisession.models import ApiToken, AuditEvent, Invitation, Membership, Practice, User


def admin_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """The admin never takes a password itself: it sends everyone to the site's sign-in (two-factor, lockout).

    Django's own admin login form would sign in with a password alone, even someone already
    signed in as another user, so it is not shown at all."""
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("admin:index")
    if not request.user.is_authenticated:
        return redirect_to_login(next_url)
    if not request.user.is_staff:
        raise PermissionDenied("This account has no operator access.")
    return redirect(next_url)


admin.site.login = admin_login  # type: ignore[method-assign,assignment]
admin.site.site_header = "IntelliSession operations"


def phi_field_names(model: type[Model]) -> set[str]:
    return {f.name for f in model._meta.get_fields() if isinstance(f, EncryptedFieldMixin)}


class PhiSafeModelAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def get_exclude(self, request: HttpRequest, obj: Any = None) -> list[str]:
        exclude = list(super().get_exclude(request, obj) or [])
        if not settings.OPERATOR_CAN_VIEW_PHI:
            exclude += sorted(phi_field_names(self.model) - set(exclude))
        return exclude

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[Any]:  # type: ignore[override]
        fields = list(super().get_fields(request, obj))
        if settings.OPERATOR_CAN_VIEW_PHI:
            return fields
        return [f for f in fields if f not in phi_field_names(self.model)]

    def get_list_display(self, request: HttpRequest) -> list[str]:  # type: ignore[override]
        hidden = set() if settings.OPERATOR_CAN_VIEW_PHI else phi_field_names(self.model)
        return [f for f in super().get_list_display(request) if f not in hidden]  # type: ignore[misc]

    def get_search_fields(self, request: HttpRequest) -> list[str]:  # type: ignore[override]
        hidden = set() if settings.OPERATOR_CAN_VIEW_PHI else phi_field_names(self.model)
        return [f for f in super().get_search_fields(request) if f.split("__")[0].lstrip("^=@") not in hidden]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "full_name", "is_active", "is_staff", "last_login")
    search_fields = ("email", "full_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("full_name",)}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Membership
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Practice)
class PracticeAdmin(PhiSafeModelAdmin):
    list_display = ("name", "slug", "require_mfa", "transcript_retention", "created_at")
    list_filter = ("require_mfa", "transcript_retention")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(PhiSafeModelAdmin):
    list_display = ("user", "practice", "role", "is_active", "created_at")
    list_filter = ("role", "is_active")
    search_fields = ("user__email", "practice__slug")
    raw_id_fields = ("user", "practice")


@admin.register(Invitation)
class InvitationAdmin(PhiSafeModelAdmin):
    list_display = ("email", "practice", "role", "status", "created_at", "expires_at")
    search_fields = ("email", "practice__slug")
    exclude = ("token_hash",)  # useless to anyone, and there is no reason to show it
    readonly_fields = (
        "practice",
        "email",
        "role",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
        "revoked_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # invitations are sent by practice admins, so they are audited with their practice


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Tokens by prefix only: the key itself is never stored, so no operator can act as a clinician with it."""

    list_display = ("prefix", "user", "created_at", "expires_at", "last_used_at", "status")
    list_filter = ("second_factor",)
    search_fields = ("prefix", "user__email")
    exclude = ("key_hash", "auth_hash")
    readonly_fields = (
        "prefix",
        "user",
        "second_factor",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "revoked_by",
        "revoke_reason",
    )
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens are issued by the token endpoint, after the password and the authenticator code

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        from intellisession.tokens import api_token_revoke

        for token in queryset.select_related("user"):
            api_token_revoke(token=token, actor=request.user, request=request)  # type: ignore[arg-type]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("created_at", "action", "practice", "actor", "object_type", "object_id")
    list_filter = ("action",)

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
