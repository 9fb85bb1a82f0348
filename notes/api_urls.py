"""API routes of notes, mounted under ``/api/v1/practices/<slug>/``."""

from rest_framework.routers import SimpleRouter

from notes.api import NoteRequestViewSet, NoteViewSet

router = SimpleRouter()
router.register("note-requests", NoteRequestViewSet, basename="api-note-request")
router.register("notes", NoteViewSet, basename="api-note")

urlpatterns = router.urls
