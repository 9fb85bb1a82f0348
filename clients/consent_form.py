"""A printable recording-consent form for the client to read and sign on paper, filled in with
the practice's, the client's and the clinician's names (and the client's date of birth when on
file); the signatures and dates are left for pen."""

from __future__ import annotations

from fpdf import FPDF

from clients.models import Client
from intellisession.models import Practice, User
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
SIGNATURE_LINES = ("Signature of client (or legal guardian)", "Date", "Clinician signature", "Date")


def consent_form_pdf(practice: Practice, *, client: Client, clinician: User) -> bytes:
    pdf = FPDF(format="Letter")
    add_fonts(pdf)
    pdf.set_title("Consent to audio recording of therapy sessions")
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 15)
    pdf.multi_cell(0, 8, "Consent to audio recording of therapy sessions", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 11)
    pdf.multi_cell(0, 6, printable(practice.name), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    dob = client.date_of_birth.strftime("%b %-d, %Y") if client.date_of_birth else "_" * 20
    for label, value in (("Client", client.name), ("Date of birth", dob), ("Clinician", str(clinician))):
        pdf.set_font(FAMILY, "B", 11)
        pdf.cell(32, 6, f"{label}:")
        pdf.set_font(FAMILY, "", 11)
        pdf.cell(0, 6, printable(value), new_x="LMARGIN", new_y="NEXT")
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
    for label in SIGNATURE_LINES:
        pdf.ln(8)
        pdf.cell(0, 6, "_" * 70, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FAMILY, "", 9)
        pdf.cell(0, 5, label, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FAMILY, "", 11)
    return bytes(pdf.output())
