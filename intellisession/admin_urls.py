"""Practice administration URLs, mounted under ``/p/<slug>/admin/``."""

from django.urls import path

from intellisession import admin_views as views

urlpatterns = [
    path("members/", views.members, name="practice-admin-members"),
    path("members/<uuid:membership_id>/role/", views.member_role, name="practice-admin-member-role"),
    path("members/<uuid:membership_id>/deactivate/", views.member_deactivate, name="practice-admin-member-deactivate"),
    path("members/<uuid:membership_id>/reactivate/", views.member_reactivate, name="practice-admin-member-reactivate"),
    path("members/<uuid:membership_id>/unlock/", views.member_unlock, name="practice-admin-member-unlock"),
    path(
        "members/<uuid:membership_id>/tokens/revoke/",
        views.member_revoke_tokens,
        name="practice-admin-member-tokens-revoke",
    ),
    path("invitations/<uuid:invitation_id>/revoke/", views.invitation_revoke, name="practice-admin-invitation-revoke"),
    path("settings/", views.practice_settings, name="practice-admin-settings"),
    path("audit/", views.audit_log, name="practice-admin-audit"),
    path("audit/export.csv", views.audit_export, name="practice-admin-audit-export"),
]
