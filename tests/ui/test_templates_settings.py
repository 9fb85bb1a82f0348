"""Templates (admins copy, rename, reorder, add and remove sections) and note settings."""

from __future__ import annotations

import pytest

from intellisession.models import AuditEvent
from notes.models import CustomInstruction, NotePreference, NoteTemplate
from tests.conftest import World
from tests.ui.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_admin_copies_a_style_and_edits_its_sections(world: World) -> None:
    browser = signed_in(world.a.admin)
    base = f"/p/{world.a.practice.slug}/templates/"
    response = browser.post(base, {"based_on": "soap", "name": "Our SOAP"})
    template = NoteTemplate.objects.get()
    assert response["Location"] == f"{base}{template.pk}/"
    titles = [s["title"] for s in template.sections]
    data = {"name": "Brief SOAP", "section-count": str(len(titles) + 1)}
    for n, section in enumerate(template.sections):
        data.update(
            {
                f"section-{n}-key": section["key"],
                f"section-{n}-title": section["title"],
                f"section-{n}-instructions": section["instructions"],
                f"section-{n}-order": str(n + 1),
            }
        )
    data["section-0-order"] = "9"  # move the first section last
    data["section-1-remove"] = "1"
    data[f"section-{len(titles)}-title"] = "Homework"
    data[f"section-{len(titles)}-order"] = "5"
    assert browser.post(f"{base}{template.pk}/", data).status_code == 302
    template.refresh_from_db()
    new_titles = [s["title"] for s in template.sections]
    assert template.name == "Brief SOAP"
    assert new_titles == [*titles[2:], "Homework", titles[0]]
    assert "Brief SOAP" in browser.get(base).content.decode()


def test_template_needs_a_section(world: World) -> None:
    browser = signed_in(world.a.admin)
    browser.post(f"/p/{world.a.practice.slug}/templates/", {"based_on": "dap", "name": "Mine"})
    template = NoteTemplate.objects.get()
    response = browser.post(
        f"/p/{world.a.practice.slug}/templates/{template.pk}/",
        {"name": "Mine", "section-count": "1", "section-0-remove": "1", "section-0-title": "x"},
    )
    assert response.status_code == 400 and "at least one section" in response.content.decode()


def test_clinician_cannot_change_templates(world: World) -> None:
    browser = signed_in(world.a.clinician)
    assert browser.post(f"/p/{world.a.practice.slug}/templates/", {"based_on": "soap", "name": "X"}).status_code == 403
    assert (
        "Practice admins add and change templates."
        in browser.get(f"/p/{world.a.practice.slug}/templates/").content.decode()
    )


def test_removing_a_template_hides_it(world: World) -> None:
    browser = signed_in(world.a.admin)
    browser.post(f"/p/{world.a.practice.slug}/templates/", {"based_on": "soap", "name": "Old"})
    template = NoteTemplate.objects.get()
    browser.post(f"/p/{world.a.practice.slug}/templates/{template.pk}/remove/")
    template.refresh_from_db()
    assert template.is_archived
    assert browser.get(f"/p/{world.a.practice.slug}/templates/{template.pk}/").status_code == 404


def test_note_settings_save_the_preferred_template(world: World) -> None:
    browser = signed_in(world.a.clinician)
    url = f"/p/{world.a.practice.slug}/note-settings/"
    browser.post(url, {"form": "preference", "style": "birp"})
    assert NotePreference.objects.get(user=world.a.clinician).preferred_style == "birp"
    assert '<option value="birp" selected>' in browser.get(url).content.decode()
    client_page = browser.get(f"/p/{world.a.practice.slug}/clients/{world.a.client.pk}/").content.decode()
    assert '<option value="birp" selected>' in client_page  # preselected in Generate Note


def test_note_settings_save_general_and_template_instructions(world: World) -> None:
    browser = signed_in(world.a.clinician)
    url = f"/p/{world.a.practice.slug}/note-settings/"
    browser.post(url, {"form": "general", "text": "Write in the third person."})
    browser.post(url, {"form": "template", "style": "dap", "text": "Keep Data short."})
    assert CustomInstruction.objects.get(level="general").text == "Write in the third person."
    assert CustomInstruction.objects.get(level="template").style_key == "dap"
    assert "Keep Data short." in browser.get(url).content.decode()


def test_bad_style_in_settings_is_400(world: World) -> None:
    response = signed_in(world.a.clinician).post(
        f"/p/{world.a.practice.slug}/note-settings/", {"form": "preference", "style": "nope"}
    )
    assert response.status_code == 400


# --- the practice's default style (admins, on the templates page)


def default_style_url(world: World) -> str:
    return f"/p/{world.a.practice.slug}/templates/default-style/"


def test_admin_sets_the_practice_default_style_and_it_is_audited(world: World) -> None:
    browser = signed_in(world.a.admin)
    page = browser.get(f"/p/{world.a.practice.slug}/templates/").content.decode()
    assert 'name="default_style"' in page and 'value="dap"' in page
    assert browser.post(default_style_url(world), {"default_style": "dap"}).status_code == 302
    world.a.practice.refresh_from_db()
    assert world.a.practice.default_style == "dap"
    event = AuditEvent.objects.get(action="practice.settings_change", practice=world.a.practice)
    assert event.detail == {"default_style": "dap"}
    generate = signed_in(world.a.clinician).get(f"/p/{world.a.practice.slug}/clients/{world.a.client.pk}/")
    assert '<option value="dap" selected>' in generate.content.decode()  # no preference of their own


def test_default_style_refuses_an_unknown_style(world: World) -> None:
    response = signed_in(world.a.admin).post(default_style_url(world), {"default_style": "made-up"})
    assert response.status_code == 400
    world.a.practice.refresh_from_db()
    assert world.a.practice.default_style == "soap"


def test_practice_template_can_be_the_default_style_but_not_another_practices(world: World) -> None:
    ours = NoteTemplate.objects.create(
        practice=world.a.practice, name="Our intake", based_on="soap", created_by=world.a.admin
    )
    theirs = NoteTemplate.objects.create(
        practice=world.b.practice, name="Their intake", based_on="soap", created_by=world.b.admin
    )
    browser = signed_in(world.a.admin)
    page = browser.get(f"/p/{world.a.practice.slug}/templates/").content.decode()
    assert f"template:{ours.pk}" in page and f"template:{theirs.pk}" not in page
    assert browser.post(default_style_url(world), {"default_style": f"template:{theirs.pk}"}).status_code == 400
    assert browser.post(default_style_url(world), {"default_style": f"template:{ours.pk}"}).status_code == 302
    world.a.practice.refresh_from_db()
    assert world.a.practice.default_style == f"template:{ours.pk}"


def test_only_an_admin_sets_the_default_style(world: World) -> None:
    assert signed_in(world.a.clinician).post(default_style_url(world), {"default_style": "dap"}).status_code == 403
    page = signed_in(world.a.clinician).get(f"/p/{world.a.practice.slug}/templates/").content.decode()
    assert 'name="default_style"' not in page
    world.a.practice.refresh_from_db()
    assert world.a.practice.default_style == "soap"
