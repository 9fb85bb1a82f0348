"""A printable recording-consent form for the client to read, fill in and sign on paper.

It carries the practice's name only; the clinician writes the client's details by hand, so
the blank form holds no client information and can be printed in advance."""

from __future__ import annotations

from fpdf import FPDF

from intellisession.models import Practice
from intellisession.pdf import FAMILY, add_fonts, printable

PARAGRAPHS = (
    "Your clinician would like to record the audio of your therapy sessions. The recording is used only "
    "to help your clinician write the clinical note of the session.",
    "How the recording is handled: it is sent over an encrypted connection, turned into text by software "
    "run by the practice, and then deleted. The recording is deleted as soon as it has been transcribed, "
    "and in any case within a short time. Only your clinician and authorized practice staff see the note.",
    "Your choice: saying no does not affect your care in any way. You may withdraw your consent at any time, "
    "for future sessions, by telling your clinician; you may also ask that any session not be recorded.",
)
LINES = (
    "Client name",
    "Date of birth",
    "Signature of client (or legal guardian)",
    "Date",
    "Clinician name",
    "Clinician signature",
)


def consent_form_pdf(practice: Practice) -> bytes:
    pdf = FPDF(format="Letter")
    add_fonts(pdf)
    pdf.set_title("Consent to audio recording of therapy sessions")
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 15)
    pdf.multi_cell(0, 8, "Consent to audio recording of therapy sessions", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 11)
    pdf.multi_cell(0, 6, printable(practice.name), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for paragraph in PARAGRAPHS:
        pdf.multi_cell(0, 6, paragraph, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.ln(2)
    pdf.multi_cell(
        0,
        6,
        "[  ] I agree to the audio recording of my sessions as described above.\n[  ] I do not agree.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    for label in LINES:
        pdf.ln(8)
        pdf.cell(0, 6, "_" * 70, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FAMILY, "", 9)
        pdf.cell(0, 5, label, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FAMILY, "", 11)
    return bytes(pdf.output())
