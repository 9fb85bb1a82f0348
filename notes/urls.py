"""Clinician pages under /p/<practice_slug>/: note requests, notes, templates, recordings."""

from django.urls import path

from notes import views

urlpatterns = [
    path("clients/<uuid:client_id>/notes/new/", views.note_generate, name="note-generate"),
    path("clients/<uuid:client_id>/instruction/", views.ClientInstruction.as_view(), name="note-client-instruction"),
    path("requests/<uuid:request_id>/", views.RequestDetail.as_view(), name="note-request-detail"),
    path("requests/<uuid:request_id>/status/", views.RequestStatusPart.as_view(), name="note-request-status"),
    path("requests/<uuid:request_id>/retry/", views.RequestRetry.as_view(), name="note-request-retry"),
    path("notes/<uuid:note_id>/", views.NoteDetail.as_view(), name="note-detail"),
    path("notes/<uuid:note_id>/section/", views.NoteSection.as_view(), name="note-section"),
    path("notes/<uuid:note_id>/sentence/", views.NoteSentence.as_view(), name="note-sentence"),
    path("notes/<uuid:note_id>/risk/", views.NoteRisk.as_view(), name="note-risk"),
    path("notes/<uuid:note_id>/transcript/", views.NoteTranscript.as_view(), name="note-transcript"),
    path("notes/<uuid:note_id>/sign/", views.NoteSign.as_view(), name="note-sign"),
    path("notes/<uuid:note_id>/regenerate/", views.NoteRegenerate.as_view(), name="note-regenerate"),
    path("notes/<uuid:note_id>/addenda/", views.NoteAddendum.as_view(), name="note-addendum"),
    path("notes/<uuid:note_id>/export.pdf", views.NoteExportPdf.as_view(), name="note-export-pdf"),
    path("notes/<uuid:note_id>/export.txt", views.NoteExportText.as_view(), name="note-export-text"),
    path("templates/", views.template_list, name="note-templates"),
    path("templates/default-style/", views.PracticeDefaultStyle.as_view(), name="note-default-style"),
    path("templates/<uuid:template_id>/", views.template_edit, name="note-template-edit"),
    path("templates/<uuid:template_id>/remove/", views.TemplateRemove.as_view(), name="note-template-remove"),
    path("note-settings/", views.note_settings, name="note-settings"),
    path("uploads/", views.UploadStart.as_view(), name="audio-upload-start"),
    path("uploads/<uuid:upload_id>/", views.UploadDetail.as_view(), name="audio-upload-detail"),
    path("uploads/<uuid:upload_id>/parts/<int:seq>/", views.UploadPart.as_view(), name="audio-upload-part"),
    path("uploads/<uuid:upload_id>/discard/", views.UploadDiscard.as_view(), name="audio-upload-discard"),
]
