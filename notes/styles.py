"""Built-in note styles as plain data.

A style is an ordered tuple of sections. Each section carries the instructions a
writer (the language model or a clinician) follows, and a `role` that tells the
offline drafter which kind of sentence belongs there. Practices add their own
templates elsewhere; they reuse these dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass

# Roles the offline drafter understands (see notes.offline.ROLE_KINDS).
ROLES: frozenset[str] = frozenset(
    {
        "client_account",
        "observation",
        "data",
        "intervention",
        "response",
        "assessment",
        "plan",
        "goals",
        "problem",
        "history",
        "progress",
        "medical",
        "substance",
        "social",
        "risk",
        "mental_status",
        "summary",
    }
)


@dataclass(frozen=True, slots=True)
class Section:
    """One heading of a note: what belongs under it and what kind of content it is."""

    key: str
    title: str
    instructions: str
    role: str = "summary"


@dataclass(frozen=True, slots=True)
class Style:
    """A named note format: the ordered sections a note of this kind has."""

    key: str
    name: str
    sections: tuple[Section, ...]

    def section(self, key: str) -> Section:
        """Return the section with this key (KeyError if the style has none)."""
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(key)


def _s(key: str, title: str, role: str, instructions: str) -> Section:
    return Section(key=key, title=title, instructions=instructions, role=role)


_PLAN = _s(
    "plan",
    "Plan",
    "plan",
    "Agreed next steps: homework or between-session tasks, next appointment and frequency, referrals, "
    "safety plan updates, and what the next session will focus on.",
)
_INTERVENTION = _s(
    "intervention",
    "Intervention",
    "intervention",
    "What the clinician did in session: therapeutic techniques and modalities used (e.g. CBT, "
    "motivational interviewing, psychoeducation), questions explored, reflections, skills taught or practised.",
)
_RESPONSE = _s(
    "response",
    "Response",
    "response",
    "How the client responded to the interventions: engagement, insight, emotional reactions, skills "
    "demonstrated, agreement or resistance, and progress toward goals observed in session.",
)

SOAP = Style(
    "soap",
    "SOAP",
    (
        _s(
            "subjective",
            "Subjective",
            "client_account",
            "The client's own account: presenting concerns, reported symptoms, mood, events since the last "
            "session and relevant quotes in the client's words.",
        ),
        _s(
            "objective",
            "Objective",
            "observation",
            "Observable, measurable information: the clinician's observations of appearance, affect, behaviour "
            "and speech, mental status findings, test or screening scores, and the interventions delivered in "
            "session.",
        ),
        _s(
            "assessment",
            "Assessment",
            "assessment",
            "The clinician's clinical interpretation: how the subjective and objective information relate to the "
            "diagnosis and treatment goals, progress, risk level, strengths and barriers.",
        ),
        _s(
            "plan",
            "Plan",
            "plan",
            "Next steps: homework, interventions planned for coming sessions, next appointment and frequency, "
            "referrals and any safety planning.",
        ),
    ),
)

DAP = Style(
    "dap",
    "DAP",
    (
        _s(
            "data",
            "Data",
            "data",
            "Objective and subjective information from the session: what the client reported, what the clinician "
            "observed, and the interventions used.",
        ),
        _s(
            "assessment",
            "Assessment",
            "assessment",
            "The clinician's interpretation of the data: clinical impressions, progress toward treatment goals, "
            "risk, and how the session fits the treatment plan.",
        ),
        _PLAN,
    ),
)

BIRP = Style(
    "birp",
    "BIRP",
    (
        _s(
            "behavior",
            "Behavior",
            "client_account",
            "The client's presentation and reported concerns: what the client said about their week, symptoms and "
            "problems, and observed behaviour, mood and affect.",
        ),
        _INTERVENTION,
        _RESPONSE,
        _PLAN,
    ),
)

GIRP = Style(
    "girp",
    "GIRP",
    (
        _s(
            "goals",
            "Goals",
            "goals",
            "The treatment-plan goals and objectives addressed in this session, stated in the client's or plan's "
            "terms.",
        ),
        _INTERVENTION,
        _RESPONSE,
        _PLAN,
    ),
)

PIRP = Style(
    "pirp",
    "PIRP",
    (
        _s(
            "problem",
            "Problem",
            "problem",
            "The presenting problem or concern addressed in this session: symptoms, stressors and the client's "
            "description of them.",
        ),
        _INTERVENTION,
        _RESPONSE,
        _PLAN,
    ),
)

PIE = Style(
    "pie",
    "PIE",
    (
        _s(
            "problem",
            "Problem",
            "problem",
            "The problem addressed in this session, as described by the client and observed by the clinician.",
        ),
        _INTERVENTION,
        _s(
            "evaluation",
            "Evaluation",
            "response",
            "Evaluation of the intervention: the client's response, progress toward goals, and whether the plan "
            "should continue or change.",
        ),
    ),
)

SIRP = Style(
    "sirp",
    "SIRP",
    (
        _s(
            "situation",
            "Situation",
            "client_account",
            "The situation that brought the client to this session: current circumstances, events and concerns "
            "the client described.",
        ),
        _INTERVENTION,
        _RESPONSE,
        _PLAN,
    ),
)

NARRATIVE = Style(
    "narrative",
    "Narrative progress note",
    (
        _s(
            "narrative",
            "Progress note",
            "summary",
            "A concise narrative of the session in prose: the client's report, themes discussed, interventions, "
            "the client's response and progress toward goals.",
        ),
        _PLAN,
    ),
)

INTAKE = Style(
    "intake",
    "Intake / biopsychosocial assessment",
    (
        _s(
            "presenting_problem",
            "Presenting problem",
            "problem",
            "Reason for referral and the presenting problem in the client's words: onset, duration, severity and "
            "impact on functioning.",
        ),
        _s(
            "history",
            "History of present concerns and psychiatric history",
            "history",
            "History of the presenting problem, previous mental health treatment, hospitalisations and diagnoses.",
        ),
        _s(
            "medical",
            "Medical history and medications",
            "medical",
            "Physical health conditions, current medications with doses, prescribers, sleep and appetite.",
        ),
        _s(
            "substance_use",
            "Substance use",
            "substance",
            "Use of alcohol, tobacco, cannabis and other substances: type, amount, frequency and consequences.",
        ),
        _s(
            "psychosocial",
            "Family and social history",
            "social",
            "Family of origin, relationships, living situation, work or school, culture, supports and legal issues.",
        ),
        _s(
            "mental_status",
            "Mental status",
            "mental_status",
            "Appearance, behaviour, speech, mood and affect, thought process and content, orientation, insight "
            "and judgement as observed.",
        ),
        _s(
            "risk",
            "Risk assessment",
            "risk",
            "Suicidal ideation, self-harm, harm to others and abuse: statements, history, protective factors.",
        ),
        _s(
            "assessment",
            "Clinical impressions",
            "assessment",
            "The clinician's formulation and diagnostic impressions supported by the information gathered.",
        ),
        _s(
            "recommendations",
            "Recommendations and plan",
            "plan",
            "Recommended level of care, treatment modality and frequency, referrals and initial goals.",
        ),
    ),
)

TREATMENT_PLAN_UPDATE = Style(
    "treatment_plan_update",
    "Treatment plan update",
    (
        _s(
            "goals_reviewed",
            "Goals reviewed",
            "goals",
            "Each treatment goal and objective reviewed in this session, as currently written.",
        ),
        _s(
            "progress",
            "Progress",
            "progress",
            "Progress toward each goal since the last review, with the client's report and measurable evidence.",
        ),
        _s(
            "barriers",
            "Barriers",
            "problem",
            "Obstacles to progress: symptoms, stressors, practical or motivational barriers.",
        ),
        _s(
            "interventions",
            "Interventions",
            "intervention",
            "Interventions used so far and those to continue, add or stop.",
        ),
        _s(
            "updated_plan",
            "Updated goals and plan",
            "plan",
            "Goals added, revised, continued or closed, target dates, frequency of sessions and next review date.",
        ),
    ),
)

BUILTIN_STYLES: dict[str, Style] = {
    style.key: style for style in (SOAP, DAP, BIRP, GIRP, PIRP, PIE, SIRP, NARRATIVE, INTAKE, TREATMENT_PLAN_UPDATE)
}
