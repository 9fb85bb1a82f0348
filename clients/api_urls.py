"""API routes of clients, mounted under ``/api/v1/practices/<slug>/``."""

from rest_framework.routers import SimpleRouter

from clients.api import ClientViewSet, ConsentViewSet, GoalViewSet

router = SimpleRouter()
router.register("clients", ClientViewSet, basename="api-client")
router.register("consents", ConsentViewSet, basename="api-consent")
router.register("goals", GoalViewSet, basename="api-goal")

urlpatterns = router.urls
