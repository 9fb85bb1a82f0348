"""Exports of a note: PDF (client name and date of birth on every page, signature block) and
plain text shaped for pasting into an EHR, section by section."""

from __future__ import annotations

from fpdf import FPDF

from intellisession.pdf import FAMILY, add_fonts, printable
from notes.document import RISK_LABELS
from notes.models import Note


def risk_assessment_blocks(note: Note) -> list[tuple[str, list[tuple[str, str]]]]:
    """Each completed risk assessment as a heading and (label, answer) lines, with the client's statements."""
    document = note.document
    blocks = []
    for assessment in document.risk_assessments:
        statements = [f'"{r.quote}"' for r in document.risks if r.endorsed and r.category == assessment.category]
        lines = [("Client's statements", "; ".join(statements)), *assessment.lines()]
        blocks.append((f"Risk assessment: {RISK_LABELS[assessment.category]}", lines))
    return blocks


def _section_body(section: dict[str, str]) -> str:
    return section["text"].strip() or "(none)"


def note_text(note: Note) -> str:
    """Plain text, one block per section, ready for an EHR's free-text fields."""
    lines = [f"{note.style_name} - date of service {note.date_of_service.isoformat()}", ""]
    for section in note.plain_sections():
        lines += [section["title"].upper(), _section_body(section), ""]
    for heading, answers in risk_assessment_blocks(note):
        lines += [heading.upper(), *(f"{label}: {answer}" for label, answer in answers), ""]
    lines += _signature_lines(note)
    for addendum in note.addenda.all():
        lines += ["", f"ADDENDUM {addendum.created_at:%Y-%m-%d %H:%M} by {addendum.author}", addendum.text or ""]
    return "\n".join(lines).rstrip() + "\n"


def section_text(note: Note, key: str) -> str | None:
    """One section's text as the whole-note text has it, for the EHR field of that section alone
    (None: the note has no such section)."""
    section = next((s for s in note.plain_sections() if s["key"] == key), None)
    return None if section is None else _section_body(section) + "\n"


def _signature_lines(note: Note) -> list[str]:
    if note.imported:
        return [f"Imported from another system by {note.author} on {note.created_at:%Y-%m-%d %H:%M %Z}"]
    if not note.is_signed or note.signed_at is None:
        return ["DRAFT - not signed"]
    return [
        f"Electronically signed by {note.signed_by} on {note.signed_at:%Y-%m-%d %H:%M %Z}",
        f"Content hash (SHA-256): {note.content_hash}",
    ]


class _NotePDF(FPDF):
    def __init__(self, header_text: str) -> None:
        super().__init__(format="Letter")
        add_fonts(self)
        self.header_text = header_text
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title("Clinical note")

    def header(self) -> None:
        self.set_font(FAMILY, "B", 9)
        self.cell(0, 6, self.header_text, new_x="LMARGIN", new_y="NEXT")
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(3)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, "", 8)
        self.cell(0, 6, f"Confidential - page {self.page_no()}/{{nb}}", align="C")


def note_pdf(note: Note) -> bytes:
    client = note.client
    dob = client.date_of_birth.isoformat() if client.date_of_birth else "not recorded"
    pdf = _NotePDF(printable(f"{client.name}  |  DOB {dob}  |  Date of service {note.date_of_service.isoformat()}"))
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 14)
    pdf.cell(0, 9, printable(note.style_name), new_x="LMARGIN", new_y="NEXT")
    for section in note.plain_sections():
        pdf.set_font(FAMILY, "B", 11)
        pdf.cell(0, 7, printable(section["title"]), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FAMILY, "", 10)
        pdf.multi_cell(0, 5, printable(_section_body(section)), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    for heading, answers in risk_assessment_blocks(note):
        pdf.set_font(FAMILY, "B", 11)
        pdf.cell(0, 7, printable(heading), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FAMILY, "", 10)
        for label, answer in answers:
            pdf.multi_cell(0, 5, printable(f"{label}: {answer}"), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.ln(4)
    pdf.set_font(FAMILY, "B", 10)
    for line in _signature_lines(note):
        pdf.multi_cell(0, 5, printable(line), new_x="LMARGIN", new_y="NEXT")
    for addendum in note.addenda.all():
        pdf.ln(3)
        pdf.set_font(FAMILY, "B", 10)
        pdf.cell(
            0,
            6,
            printable(f"Addendum {addendum.created_at:%Y-%m-%d %H:%M} by {addendum.author}"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_font(FAMILY, "", 10)
        pdf.multi_cell(0, 5, printable(addendum.text or ""), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
