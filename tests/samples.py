"""The sample session recordings every test and benchmark uses, all from this repository.

Only small files are committed (`tests/fixtures/samples/`, see its README): the script, a
lossless FLAC of the session, and the two not-really-audio files. The WAV, MP3, M4A and WebM
forms and the damaged M4A are built from them when this module is first imported and kept
beside them (ignored by git); a build is redone when its source or this module is newer.

No Django here: benchmarks import this module before Django is set up.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "fixtures" / "samples"
SOURCE = FOLDER / "sample_session.flac"
TRUNCATED_BYTES = 160_000  # the head of the M4A: its index (moov) comes after the audio, so it is lost


def _wav(out: Path) -> None:
    # Sample for sample the recording the FLAC holds: PCM is copied, never resampled.
    import av

    with av.open(str(SOURCE)) as source, av.open(str(out), "w", format="wav") as wav:
        stream = wav.add_stream("pcm_s16le", rate=16_000, layout="mono")
        for frame in source.decode(audio=0):
            frame.pts = None
            for packet in stream.encode(frame):  # type: ignore[attr-defined]
                wav.mux(packet)
        for packet in stream.encode(None):  # type: ignore[attr-defined]
            wav.mux(packet)


def _encoded(out: Path) -> None:
    from tests import audio_tools

    audio_tools.write(out, audio_tools.load(SOURCE))


def _truncated(out: Path) -> None:
    out.write_bytes(built("sample_session.m4a").read_bytes()[:TRUNCATED_BYTES])


BUILDERS: dict[str, Callable[[Path], None]] = {
    "sample_session.wav": _wav,
    "sample_session.mp3": _encoded,
    "sample_session.m4a": _encoded,
    "sample_session.webm": _encoded,
    "truncated.m4a": _truncated,
}


def _fresh(path: Path) -> bool:
    if not path.exists():
        return False
    newest_source = max(SOURCE.stat().st_mtime, Path(__file__).stat().st_mtime)
    return path.stat().st_mtime >= newest_source


def built(name: str) -> Path:
    """FOLDER / name, built first if it is one of the derived files and missing or stale."""
    path = FOLDER / name
    if name in BUILDERS and not _fresh(path):
        # Build under a temporary name and rename: a run that sees the file sees all of it.
        partial = path.with_name(f".{os.getpid()}.{name}")
        try:
            BUILDERS[name](partial)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
    return path


def prepare() -> Path:
    """Build every derived sample (a few seconds the first time) and return the folder."""
    for name in BUILDERS:
        built(name)
    return FOLDER


# Built on import, so that whoever names a sample (a test module at collection, a benchmark)
# finds every file in place.
SAMPLES = prepare()
