"""Clinician pages under /p/<practice_slug>/: note requests, notes, templates, recordings."""

from django.urls import path

from notes.views import requests, review, templates, uploads

urlpatterns = [
    path("clients/<uuid:client_id>/notes/new/", requests.note_generate, name="note-generate"),
    path(
        "clients/<uuid:client_id>/notes/new/consent/", requests.GenerateConsent.as_view(), name="note-generate-consent"
    ),
    path(
        "clients/<uuid:client_id>/instruction/", templates.ClientInstruction.as_view(), name="note-client-instruction"
    ),
    path("requests/<uuid:request_id>/", requests.RequestDetail.as_view(), name="note-request-detail"),
    path("requests/<uuid:request_id>/status/", requests.RequestStatusPart.as_view(), name="note-request-status"),
    path("requests/<uuid:request_id>/retry/", requests.RequestRetry.as_view(), name="note-request-retry"),
    path("notes/<uuid:note_id>/", review.NoteDetail.as_view(), name="note-detail"),
    path("notes/<uuid:note_id>/section/", review.NoteSection.as_view(), name="note-section"),
    path("notes/<uuid:note_id>/sentence/", review.NoteSentence.as_view(), name="note-sentence"),
    path("notes/<uuid:note_id>/risk-assessment/", review.NoteRiskAssessment.as_view(), name="note-risk-assessment"),
    path("notes/<uuid:note_id>/versions/<int:number>/", review.NoteVersionDetail.as_view(), name="note-version"),
    path(
        "notes/<uuid:note_id>/versions/<int:number>/restore/",
        review.NoteVersionRestore.as_view(),
        name="note-version-restore",
    ),
    path("notes/<uuid:note_id>/transcript/", review.NoteTranscript.as_view(), name="note-transcript"),
    path("notes/<uuid:note_id>/sign/", review.NoteSign.as_view(), name="note-sign"),
    path("notes/<uuid:note_id>/regenerate/", review.NoteRegenerate.as_view(), name="note-regenerate"),
    path("notes/<uuid:note_id>/addenda/", review.NoteAddendum.as_view(), name="note-addendum"),
    path("notes/<uuid:note_id>/export.pdf", review.NoteExportPdf.as_view(), name="note-export-pdf"),
    path("notes/<uuid:note_id>/export.txt", review.NoteExportText.as_view(), name="note-export-text"),
    path("templates/", templates.template_list, name="note-templates"),
    path("templates/default-style/", templates.PracticeDefaultStyle.as_view(), name="note-default-style"),
    path("templates/<uuid:template_id>/", templates.template_edit, name="note-template-edit"),
    path("templates/<uuid:template_id>/remove/", templates.TemplateRemove.as_view(), name="note-template-remove"),
    path("note-settings/", templates.note_settings, name="note-settings"),
    path("clients/<uuid:client_id>/handwriting/", uploads.HandwritingRead.as_view(), name="note-handwriting-read"),
    path("uploads/", uploads.UploadStart.as_view(), name="audio-upload-start"),
    path("uploads/<uuid:upload_id>/", uploads.UploadDetail.as_view(), name="audio-upload-detail"),
    path("uploads/<uuid:upload_id>/parts/<int:seq>/", uploads.UploadPart.as_view(), name="audio-upload-part"),
    path("uploads/<uuid:upload_id>/discard/", uploads.UploadDiscard.as_view(), name="audio-upload-discard"),
]
