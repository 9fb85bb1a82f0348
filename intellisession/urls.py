"""The project's URLs. Each app's pages and API routes are included by module path, so this
package, the lowest layer, imports none of the apps above it."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.routers import SimpleRouter

from intellisession import account_views, invitation_views, views
from intellisession.api_auth import MemberTokenViewSet, ObtainTokenView, OwnTokenListView, OwnTokenView

PRACTICE_API = "api/v1/practices/<slug:practice_slug>/"

tokens = SimpleRouter()
tokens.register("api-tokens", MemberTokenViewSet, basename="api-member-token")

handler400 = "intellisession.errors.bad_request"
handler404 = "intellisession.errors.not_found"
handler500 = "intellisession.errors.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("accounts/email/", account_views.email, name="account-email-verified"),  # before allauth's own
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("p/<slug:practice_slug>/", include("clients.urls")),
    path("p/<slug:practice_slug>/", include("notes.urls")),
    path("p/<slug:practice_slug>/admin/", include("intellisession.admin_urls")),
    path("invite/<str:token>/", invitation_views.invitation_accept, name="invitation-accept"),
    path("api/v1/auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("api/v1/auth/tokens/", OwnTokenListView.as_view(), name="api-own-tokens"),
    path("api/v1/auth/tokens/<uuid:token_id>/", OwnTokenView.as_view(), name="api-own-token"),
    path(PRACTICE_API, include("clients.api_urls")),
    path(PRACTICE_API, include("notes.api_urls")),
    path(PRACTICE_API, include(tokens.urls)),
    # The schema names every route and field; it is for the practice's own developers.
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="api-schema"),
]
