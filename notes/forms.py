"""Forms of the note pages. Choices come from the practice; services do the real checks."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django import forms
from django.core.exceptions import BadRequest
from django.utils import timezone

from clients.forms import ConsentForm
from intellisession.models import Practice
from intellisession.validators import (
    ADDENDUM_TEXT_MAX,
    NOTE_INSTRUCTION_MAX,
    SECTION_TEXT_MAX,
    validate_date_of_service,
)
from notes.document import ASSESSMENT_CHOICES, ASSESSMENT_LABELS, RISK_LABELS, RiskAssessment
from notes.models import InputKind
from notes.selectors import style_choices
from transcription.audio import ACCEPTED_FORMATS

TEXT_KIND_CHOICES = [
    (InputKind.PRE_SESSION.value, "Pre-session observations"),
    (InputKind.POST_SESSION.value, "Post-session reflections"),
    (InputKind.SESSION_SUMMARY.value, "Session summary"),
]
GENERATE_AUTO_ID = "gen-%s"  # the form shares the client page with others
AUDIO_ACCEPT = ",".join(f".{name.lower()}" for name in ACCEPTED_FORMATS) + ",audio/*"
GENERATE_CONSENT_FORM_ID = "gen-consent-form"
_INPUT_AUDIO = re.compile(r"input_audio-(\w{1,12})")
_INPUT_UPLOAD = re.compile(r"input_upload-(\w{1,12})")


class StyleChoiceMixin:
    fields: dict[str, forms.Field]

    def _set_styles(self, practice: Practice, name: str = "style") -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = style_choices(practice=practice)


class GenerateNoteForm(StyleChoiceMixin, forms.Form):
    style = forms.ChoiceField(label="Template")
    date_of_service = forms.DateField(
        label="Date of service", widget=forms.DateInput(attrs={"type": "date"}), validators=[validate_date_of_service]
    )
    summary_only = forms.BooleanField(
        label="Summary Only", required=False, help_text="Write the note from text inputs alone, without audio."
    )
    instruction = forms.CharField(
        label="Instruction for this note (optional)",
        required=False,
        max_length=NOTE_INSTRUCTION_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, practice: Practice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_styles(practice)


def generate_consent_form(*args: Any, **kwargs: Any) -> ConsentForm:
    """The client's consent form as Generate Note shows it: ids of its own, and fields that belong to
    a form of their own (one form cannot sit inside another)."""
    form = ConsentForm(*args, auto_id="gen-consent-%s", initial={"given_on": timezone.localdate()}, **kwargs)
    for field in form.fields.values():
        field.widget.attrs["form"] = GENERATE_CONSENT_FORM_ID
    return form


def recording_ids(data: Any) -> list[uuid.UUID]:
    """The browser recordings attached to the form (more than one when a recording was continued)."""
    ids = []
    for value in data.getlist("upload_id"):
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            raise forms.ValidationError("The recording could not be found; record again or attach a file.") from None
    return list(dict.fromkeys(ids))


def input_recordings(data: Any, files: Any) -> tuple[list[Any], list[Any]]:
    """Files from the inputs' Audio tabs (``input_audio-<n>``), in the order added: session
    recordings, and dictations (``dictation-<n>`` ticked: the clinician's own voice only)."""
    session: list[Any] = []
    dictated: list[Any] = []
    for key in files:
        match = _INPUT_AUDIO.fullmatch(key)
        if match:
            (dictated if data.get(f"dictation-{match.group(1)}") else session).extend(files.getlist(key))
    return session, dictated


def input_upload_ids(data: Any) -> list[tuple[uuid.UUID, bool]]:
    """Recordings made in the inputs' Audio tabs (``input_upload-<n>``), in the order added, each
    with whether its input's Dictation box is ticked."""
    found: list[tuple[uuid.UUID, bool]] = []
    for key in data:
        match = _INPUT_UPLOAD.fullmatch(key)
        if not match:
            continue
        ticked = bool(data.get(f"dictation-{match.group(1)}"))
        for value in data.getlist(key):
            try:
                found.append((uuid.UUID(value), ticked))
            except ValueError:
                raise forms.ValidationError("The dictation could not be found; record it again.") from None
    return list(dict.fromkeys(found))


def text_inputs(data: Any) -> list[tuple[str, str]]:
    """The typed inputs of the form, paired kind with text in the order they were added."""
    kinds, bodies = data.getlist("text_kind"), data.getlist("text_body")
    return [(kind, body) for kind, body in zip(kinds, bodies, strict=False) if body.strip()]


class RegenerateForm(StyleChoiceMixin, forms.Form):
    style = forms.ChoiceField(label="Style")
    instruction = forms.CharField(
        label="Instruction (optional)",
        required=False,
        max_length=NOTE_INSTRUCTION_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, practice: Practice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_styles(practice)


class SectionForm(forms.Form):
    section = forms.CharField(max_length=80)
    text = forms.CharField(required=False, max_length=SECTION_TEXT_MAX, widget=forms.Textarea)


class SentenceForm(forms.Form):
    section = forms.CharField(max_length=80)
    index = forms.IntegerField(min_value=0)
    action = forms.ChoiceField(choices=[("accept", "Accept"), ("remove", "Remove")])


class RiskAssessmentForm(forms.Form):
    """The clinician's risk assessment for one category the client endorsed (notes.document.RiskAssessment)."""

    category = forms.ChoiceField(choices=list(RISK_LABELS.items()), widget=forms.HiddenInput)
    ideation = forms.ChoiceField(choices=list(ASSESSMENT_CHOICES["ideation"].items()), widget=forms.RadioSelect)
    plan = forms.ChoiceField(choices=list(ASSESSMENT_CHOICES["plan"].items()), widget=forms.RadioSelect)
    intent = forms.ChoiceField(choices=list(ASSESSMENT_CHOICES["intent"].items()), widget=forms.RadioSelect)
    means = forms.ChoiceField(choices=list(ASSESSMENT_CHOICES["means"].items()), widget=forms.RadioSelect)
    protective_factors = forms.CharField(required=False, max_length=2_000, widget=forms.Textarea(attrs={"rows": 2}))
    safety_plan = forms.ChoiceField(choices=list(ASSESSMENT_CHOICES["safety_plan"].items()), widget=forms.RadioSelect)
    response = forms.CharField(max_length=10_000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in ASSESSMENT_LABELS.items():
            self.fields[name].label = label
        self.fields["response"].help_text = "What you did and will do: assessment, interventions, follow-up."

    def assessment(self) -> RiskAssessment:
        return RiskAssessment.model_validate(self.cleaned_data)


class SignForm(forms.Form):
    confirm = forms.BooleanField(label="I have reviewed this note, including everything listed above.")


class AddendumForm(forms.Form):
    text = forms.CharField(label="Addendum", max_length=ADDENDUM_TEXT_MAX, widget=forms.Textarea(attrs={"rows": 4}))


class TemplateCreateForm(StyleChoiceMixin, forms.Form):
    based_on = forms.ChoiceField(label="Copy of")
    name = forms.CharField(label="Name", max_length=120)

    def __init__(self, *args: Any, practice: Practice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_styles(practice, "based_on")


class TemplateNameForm(forms.Form):
    name = forms.CharField(label="Name", max_length=120)


class InstructionForm(forms.Form):
    text = forms.CharField(
        label="Instruction", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class TemplateInstructionForm(StyleChoiceMixin, InstructionForm):
    style = forms.ChoiceField(label="Template")

    def __init__(self, *args: Any, practice: Practice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_styles(practice)


class PreferenceForm(StyleChoiceMixin, forms.Form):
    style = forms.ChoiceField(label="Preferred template")

    def __init__(self, *args: Any, practice: Practice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_styles(practice)


class DefaultStyleForm(forms.Form):
    default_style = forms.ChoiceField(
        label="Practice default style",
        help_text="Preselected in Generate Note for members who have not chosen their own preferred template.",
    )

    def __init__(self, *args: Any, practice: Practice, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"default_style": practice.default_style})
        kwargs.setdefault("auto_id", "default-%s")  # the templates page has another form
        super().__init__(*args, **kwargs)
        choices = style_choices(practice=practice)
        if practice.default_style not in dict(choices):
            # A style that has since been archived stays selectable until it is replaced.
            choices.append((practice.default_style, f"{practice.default_style} (no longer available)"))
        field = self.fields["default_style"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices


def sections_from_post(data: Any) -> list[dict[str, str]]:
    """Rows ``section-<n>-{key,title,instructions,role,order,remove}`` in the order the clinician chose.

    A row with no title and no instructions is the blank row for adding; it is skipped."""
    rows = []
    try:
        count = int(data.get("section-count") or 0)
    except ValueError:
        raise BadRequest("section-count must be a whole number.") from None
    for n in range(min(count, 60)):
        prefix = f"section-{n}-"
        title = (data.get(prefix + "title") or "").strip()
        instructions = (data.get(prefix + "instructions") or "").strip()
        if data.get(prefix + "remove") or (not title and not instructions and not data.get(prefix + "key")):
            continue
        try:
            order = float(data.get(prefix + "order") or n + 1)
        except ValueError:
            order = n + 1
        rows.append(
            (
                order,
                n,
                {
                    "key": data.get(prefix + "key") or "",
                    "title": title,
                    "instructions": instructions,
                    "role": data.get(prefix + "role") or "summary",
                },
            )
        )
    return [row for _, _, row in sorted(rows, key=lambda r: (r[0], r[1]))]
