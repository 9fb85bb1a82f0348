"""Client pages under /p/<practice_slug>/: the practice's client list (its home page) and each client."""

from django.urls import path

from clients import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("clients/new/", views.client_new, name="client-new"),
    path("clients/<uuid:client_id>/", views.client_detail, name="client-detail"),
    path("clients/<uuid:client_id>/edit/", views.client_edit, name="client-edit"),
    path("clients/<uuid:client_id>/consent/", views.ConsentRecord.as_view(), name="client-consent-record"),
    path(
        "clients/<uuid:client_id>/consent/<uuid:consent_id>/revoke/",
        views.ConsentRevoke.as_view(),
        name="client-consent-revoke",
    ),
    path(
        "clients/<uuid:client_id>/consent/<uuid:consent_id>/signed-form/",
        views.ConsentSignedForm.as_view(),
        name="client-consent-signed-form",
    ),
    path("clients/<uuid:client_id>/consent-form.pdf", views.ConsentFormPdf.as_view(), name="client-consent-form"),
    path("clients/<uuid:client_id>/goals/", views.GoalAdd.as_view(), name="client-goal-add"),
    path("clients/<uuid:client_id>/goals/<uuid:goal_id>/", views.goal_edit, name="client-goal-edit"),
]
