from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.routers import SimpleRouter

from clients.api import ClientViewSet, ConsentViewSet, GoalViewSet
from intellisession import account_views, invitation_views, views
from intellisession.api_auth import MemberTokenViewSet, ObtainTokenView, OwnTokenListView, OwnTokenView
from notes.api import NoteRequestViewSet, NoteViewSet

api = SimpleRouter()
api.register("clients", ClientViewSet, basename="api-client")
api.register("consents", ConsentViewSet, basename="api-consent")
api.register("goals", GoalViewSet, basename="api-goal")
api.register("note-requests", NoteRequestViewSet, basename="api-note-request")
api.register("notes", NoteViewSet, basename="api-note")
api.register("api-tokens", MemberTokenViewSet, basename="api-member-token")

handler400 = "intellisession.errors.bad_request"
handler404 = "intellisession.errors.not_found"
handler500 = "intellisession.errors.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/email/", account_views.email, name="account-email-verified"),  # before allauth's own
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("p/<slug:practice_slug>/", views.dashboard, name="dashboard"),
    path("p/<slug:practice_slug>/clients/", include("clients.urls")),
    path("p/<slug:practice_slug>/", include("notes.urls")),
    path("p/<slug:practice_slug>/admin/", include("intellisession.admin_urls")),
    path("invite/<str:token>/", invitation_views.invitation_accept, name="invitation-accept"),
    path("api/v1/auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("api/v1/auth/tokens/", OwnTokenListView.as_view(), name="api-own-tokens"),
    path("api/v1/auth/tokens/<uuid:token_id>/", OwnTokenView.as_view(), name="api-own-token"),
    path("api/v1/practices/<slug:practice_slug>/", include(api.urls)),
    # The schema names every route and field; it is for the practice's own developers.
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="api-schema"),
]
