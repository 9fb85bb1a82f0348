from __future__ import annotations

import pytest

from notes.offline import ROLE_KINDS
from notes.styles import BUILTIN_STYLES, ROLES

EXPECTED = {
    "soap": ["subjective", "objective", "assessment", "plan"],
    "dap": ["data", "assessment", "plan"],
    "birp": ["behavior", "intervention", "response", "plan"],
    "girp": ["goals", "intervention", "response", "plan"],
    "pirp": ["problem", "intervention", "response", "plan"],
    "pie": ["problem", "intervention", "evaluation"],
    "sirp": ["situation", "intervention", "response", "plan"],
}


def test_every_builtin_style_is_present() -> None:
    assert set(BUILTIN_STYLES) == set(EXPECTED) | {"narrative", "intake", "treatment_plan_update"}


@pytest.mark.parametrize(("key", "sections"), EXPECTED.items())
def test_acronym_styles_have_their_sections_in_order(key: str, sections: list[str]) -> None:
    assert [s.key for s in BUILTIN_STYLES[key].sections] == sections


@pytest.mark.parametrize("style", BUILTIN_STYLES.values(), ids=list(BUILTIN_STYLES))
def test_sections_are_complete_and_their_roles_known(style: object) -> None:
    sections = style.sections  # type: ignore[attr-defined]
    assert len({s.key for s in sections}) == len(sections)
    for section in sections:
        assert section.title and len(section.instructions) > 40
        assert section.role in ROLES and section.role in ROLE_KINDS


def test_intake_covers_a_biopsychosocial_assessment() -> None:
    keys = {s.key for s in BUILTIN_STYLES["intake"].sections}
    assert {"presenting_problem", "medical", "substance_use", "psychosocial", "mental_status", "risk"} <= keys


def test_style_section_lookup() -> None:
    assert BUILTIN_STYLES["soap"].section("plan").title == "Plan"
    with pytest.raises(KeyError):
        BUILTIN_STYLES["soap"].section("nope")
