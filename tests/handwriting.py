"""Pages of handwriting made at test time: a handwriting-style font (Caveat, from the
``fontpkg-caveat`` package), uneven lines, a slant, paper noise and a little blur, saved as a
phone would (JPEG) or a scanner would (PDF)."""

from __future__ import annotations

import io
import random
import re
from difflib import SequenceMatcher

import fontpkg_caveat
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

NOTES = [
    "Client arrived on time and seemed tired.",
    "Slept badly most of the week after the move.",
    "We practised slow breathing for ten minutes.",
    "Homework: keep a sleep diary until next session.",
    "Denied thoughts of self harm today.",
]


def page_image(lines: list[str] = NOTES, *, seed: int = 7) -> Image.Image:
    font = ImageFont.truetype(str(next((fontpkg_caveat.ROOT / "files").glob("*.ttf"))), 58)
    rng = random.Random(seed)
    page = Image.new("L", (1500, 120 + 100 * len(lines)), 240)
    draw = ImageDraw.Draw(page)
    for i, line in enumerate(lines):
        x, y = 70 + rng.randint(-15, 15), 60 + i * 100 + rng.randint(-8, 8)
        draw.text((x, y), line, font=font, fill=rng.randint(15, 70))
    page = page.transform(page.size, Image.Transform.AFFINE, (1, 0.12, -60, 0, 1, 0), fillcolor=240)  # slant
    page = page.rotate(-2.5, expand=True, fillcolor=240)
    noise = np.random.default_rng(seed).normal(0, 14, (page.height, page.width))
    page = Image.fromarray((np.asarray(page, dtype=np.float32) + noise).clip(0, 255).astype(np.uint8))
    return page.filter(ImageFilter.GaussianBlur(0.9)).convert("RGB")


def page_bytes(kind: str = "JPEG", lines: list[str] = NOTES) -> bytes:
    out = io.BytesIO()
    page_image(lines).save(out, format=kind, **({"quality": 80} if kind == "JPEG" else {}))
    return out.getvalue()


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def word_accuracy(read: str, lines: list[str] = NOTES) -> float:
    """The share of the page's words read right, in order."""
    expected, got = words(" ".join(lines)), words(read)
    matched = sum(block.size for block in SequenceMatcher(None, expected, got, autojunk=False).get_matching_blocks())
    return matched / len(expected)
