"""The typeface of every PDF we make, so that every client's and practice's name prints.

The core PDF fonts cover Latin-1 only ("Michał Nguyễn" came out as "Micha? Nguy?n"). Fira Sans,
regular and bold, ships as static TrueType files in the `fontpkg-fira-sans` package and covers
the Latin alphabets (Polish, Vietnamese, Czech, Romanian, Turkish, ...), Greek and Cyrillic.
"""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path

from fpdf import FPDF

FAMILY = "Fira Sans"


@functools.cache
def font_files() -> dict[str, Path]:
    """fpdf2 style ("" or "B") -> the TrueType file."""
    import fontpkg_fira_sans

    files = Path(fontpkg_fira_sans.ROOT) / "files"
    return {"": files / "FiraSans-Regular.ttf", "B": files / "FiraSans-Bold.ttf"}


@functools.cache
def _covered() -> frozenset[int]:
    """Code points both faces can draw."""
    from fontTools.ttLib import TTFont

    faces = [set(TTFont(path, lazy=True).getBestCmap()) for path in font_files().values()]
    return frozenset(set.intersection(*faces))


def add_fonts(pdf: FPDF) -> None:
    for style, path in font_files().items():
        pdf.add_font(FAMILY, style, path)


def printable(text: str) -> str:
    """The text as the PDF will show it.

    Composed (NFC), so accents typed as combining marks become the letters the font draws.
    Anything the font lacks (emoji, CJK) becomes "?": fpdf2 would otherwise drop it and log
    the missing characters, and logs never carry client text.
    """
    covered = _covered()
    text = unicodedata.normalize("NFC", text)
    return "".join(ch if ord(ch) in covered or ch in "\n\t" else "?" for ch in text)
