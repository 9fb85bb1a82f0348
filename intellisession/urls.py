from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import SimpleRouter

from clients.api import ClientViewSet
from intellisession import views

api = SimpleRouter()
api.register("clients", ClientViewSet, basename="api-client")

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("p/<slug:practice_slug>/", views.dashboard, name="dashboard"),
    path("p/<slug:practice_slug>/clients/", include("clients.urls")),
    path("api/v1/auth/token/", obtain_auth_token, name="api-token"),
    path("api/v1/practices/<slug:practice_slug>/", include(api.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
]
