"""The project's URLs. Each app's pages and API routes are included by module path, so this
package, the lowest layer, imports none of the apps above it."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from intellisession import invitation_views, views
from intellisession.api_auth import ObtainTokenView

PRACTICE_API = "api/v1/practices/<slug:practice_slug>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("p/<slug:practice_slug>/", include("clients.urls")),
    path("p/<slug:practice_slug>/", include("notes.urls")),
    path("p/<slug:practice_slug>/admin/", include("intellisession.admin_urls")),
    path("invite/<str:token>/", invitation_views.invitation_accept, name="invitation-accept"),
    path("api/v1/auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path(PRACTICE_API, include("clients.api_urls")),
    path(PRACTICE_API, include("notes.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
]
