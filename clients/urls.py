from django.urls import path

from clients import views

urlpatterns = [
    path("new/", views.client_new, name="client-new"),
    path("<uuid:client_id>/", views.client_detail, name="client-detail"),
    path("<uuid:client_id>/edit/", views.client_edit, name="client-edit"),
]
