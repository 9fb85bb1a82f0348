"""Forms for practice administration and invitation acceptance."""

from __future__ import annotations

from typing import Any

from django import forms

from intellisession.audit import action_label, object_kind
from intellisession.models import Membership, Practice, Role, TranscriptRetention
from intellisession.selectors import AuditFilter


class InviteForm(forms.Form):
    email = forms.EmailField(label="E-mail address")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.CLINICIAN)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class PracticeSettingsForm(forms.Form):
    """The practice's own settings. The default note style is the notes app's: it knows the styles."""

    require_mfa = forms.BooleanField(
        required=False,
        label="Require two-factor authentication",
        help_text="Members without an authenticator app are asked to set one up before they continue.",
    )
    share_caseload = forms.BooleanField(
        required=False,
        label="Clinicians see every client of the practice",
    )
    share_client_instructions = forms.BooleanField(
        required=False,
        label="A client's instruction applies to every clinician's notes",
        help_text="Off: a standing instruction for a client applies only to the notes of the clinician who set it.",
    )
    transcript_retention = forms.ChoiceField(
        choices=TranscriptRetention.choices, widget=forms.RadioSelect, label="Transcripts"
    )
    # Only "after a number of days" uses the number, so only that policy needs one (the practice
    # keeps its current number otherwise; the column always holds one).
    transcript_retention_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=3650,
        label="Days to keep transcripts",
        help_text="Used only when transcripts are deleted after a number of days.",
    )

    def __init__(self, *args: Any, practice: Practice, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {name: getattr(practice, name) for name in self.base_fields})
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("transcript_retention_days") is not None:
            return data
        data.pop("transcript_retention_days", None)
        if data.get("transcript_retention") == TranscriptRetention.AFTER_DAYS and not self.has_error(
            "transcript_retention_days"
        ):
            self.add_error("transcript_retention_days", "Say after how many days transcripts are deleted (1 to 3650).")
        return data


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(required=False)
    actor = forms.ChoiceField(required=False, label="Member")
    object_type = forms.ChoiceField(required=False, label="Object kind")
    object_id = forms.CharField(required=False, max_length=64, label="Object id")
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    include_views = forms.BooleanField(required=False, label="Include views (notes, transcripts, forms opened)")

    def __init__(
        self, *args: Any, practice: Practice, actions: list[str], object_types: list[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        members = Membership.objects.filter(practice=practice).select_related("user").order_by("user__email")
        self.fields["action"].choices = [  # type: ignore[attr-defined]
            ("", "Any action"),
            *sorted(((a, action_label(a)) for a in actions), key=lambda choice: choice[1]),
        ]
        self.fields["actor"].choices = [  # type: ignore[attr-defined]
            ("", "Anyone"),
            *((str(m.user_id), m.user.email) for m in members),
        ]
        self.fields["object_type"].choices = [  # type: ignore[attr-defined]
            ("", "Any kind"),
            *((t, object_kind(t)) for t in object_types),
        ]

    def filters(self) -> AuditFilter:
        if not self.is_valid():
            return AuditFilter()
        data = self.cleaned_data
        return AuditFilter(
            action=data["action"],
            actor_id=data["actor"],
            object_type=data["object_type"],
            object_id=data["object_id"].strip(),
            since=data["since"],
            until=data["until"],
            include_views=data["include_views"],
        )


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(max_length=200, label="Your name")
    password1 = forms.CharField(
        label="Password", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), strip=False
    )
    password2 = forms.CharField(
        label="Password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), strip=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        return data
