from __future__ import annotations

from typing import Any

from django import forms

from clients.models import Client, ConsentMethod, GoalStatus
from clients.services import consent_record
from intellisession.errors import DomainError
from intellisession.models import Practice, Role, User
from intellisession.validators import (
    signed_form_kind,
    validate_consent_date,
    validate_date_of_birth,
    validate_plan_date,
)


class ClientForm(forms.Form):
    name = forms.CharField(max_length=200, label="Full name")
    date_of_birth = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), validators=[validate_date_of_birth]
    )
    pronouns = forms.CharField(max_length=40, required=False)
    external_id = forms.CharField(max_length=100, required=False, label="EHR id")
    medications = forms.CharField(
        required=False,
        max_length=4000,
        label="Current medications",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line, with dose and prescriber if you like (sertraline 50 mg, Dr. Okafor). "
        "Notes are checked against it, and transcription spells these names right.",
    )
    assigned_clinician_ids = forms.MultipleChoiceField(required=False, label="Assigned clinicians")

    def __init__(self, *args: Any, practice: Practice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        clinicians = User.objects.filter(
            memberships__practice=practice,
            memberships__is_active=True,
            memberships__role__in=[Role.ADMIN, Role.CLINICIAN],
        ).order_by("email")
        field = self.fields["assigned_clinician_ids"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(str(user.pk), str(user)) for user in clinicians]


class ConsentForm(forms.Form):
    given_on = forms.DateField(
        label="Date consent was given",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_consent_date],
    )
    method = forms.ChoiceField(
        label="How it was given", choices=ConsentMethod.choices, initial=ConsentMethod.SIGNED_FORM, required=False
    )
    signed_form = forms.FileField(
        label="Signed form (PDF, JPEG or PNG, optional)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
        help_text="A scan or photo of the form the client signed; kept privately with the consent record.",
    )

    def clean_method(self) -> str:
        return self.cleaned_data.get("method") or ConsentMethod.SIGNED_FORM

    def clean_signed_form(self) -> Any:
        upload = self.cleaned_data.get("signed_form")
        if upload:
            signed_form_kind(upload)  # raises ValidationError naming the file
        return upload

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "consent-%s")  # ids unique on the client page, which has several forms
        super().__init__(*args, **kwargs)

    def record(self, client: Client, actor: User, *, error_field: str | None = None) -> bool:
        """Record the consent this valid form describes; a refusal becomes the form's error."""
        if not self.is_valid():
            return False
        try:
            consent_record(
                client=client,
                actor=actor,
                given_on=self.cleaned_data["given_on"],
                method=self.cleaned_data["method"],
                signed_form=self.cleaned_data.get("signed_form") or None,
            )
        except DomainError as error:
            self.add_error(error_field, error.message)
            return False
        return True


class GoalForm(forms.Form):
    description = forms.CharField(label="Goal", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    target = forms.CharField(label="How progress is measured", max_length=2000, required=False)
    status = forms.ChoiceField(label="Status", choices=GoalStatus.choices, initial=GoalStatus.ACTIVE)
    start_date = forms.DateField(
        label="Start date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_plan_date],
    )
    target_date = forms.DateField(
        label="Target date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_plan_date],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "goal-%s")
        super().__init__(*args, **kwargs)
