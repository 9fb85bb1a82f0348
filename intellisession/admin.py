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
from django.contrib.auth.decorators import login_required
from django.db.models import Model
from django.http import HttpRequest

from intellisession.fields import EncryptedFieldMixin
from intellisession.models import AuditEvent, Invitation, Membership, Practice, User

# The admin signs in through the same pages as everyone else, so MFA and lockout apply to operators too.
admin.site.login = login_required(admin.site.login)  # type: ignore[method-assign]
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


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("created_at", "action", "practice", "actor", "object_type", "object_id")
    list_filter = ("action",)

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
