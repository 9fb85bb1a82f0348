"""Probe, validate and decode uploaded recordings with PyAV.

Pure audio code: no Django, no database. Formats are recognised from the bytes of
the file, never from its name, and nothing here reads a whole recording into
memory: `probe` looks at the head and the tail only, `decode` seeks to the range
it is asked for.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

import av
import av.container
import av.stream
import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
# The formats we accept (recognised by content): the upload fields and the refusals name this one list.
ACCEPTED_FORMATS = ("MP3", "WAV", "M4A", "WEBM", "OGG", "FLAC")
ACCEPTED = ", ".join(ACCEPTED_FORMATS[:-1]) + " and " + ACCEPTED_FORMATS[-1]
ACCEPTED_CHOICE = ", ".join(ACCEPTED_FORMATS[:-1]) + " or " + ACCEPTED_FORMATS[-1]

# FFmpeg demuxer name -> the format name the rest of the app uses.
_CONTAINERS = {
    "mp3": "mp3",
    "wav": "wav",
    "mov,mp4,m4a,3gp,3g2,mj2": "m4a",
    "matroska,webm": "webm",
    "ogg": "ogg",
    "flac": "flac",
}

# How much audio the head and tail checks decode, and how far from the claimed end
# the tail check must still find audio before the file counts as cut short.
_CHECK_SECONDS = 1.0
_TAIL_SECONDS = 3.0
_TAIL_SLACK = 6.0
# A handful of corrupt packets in a long recording is survivable (FFmpeg skips them);
# more than this and the transcript would have holes, so the file is refused.
_MAX_BAD_PACKETS = 20

AudioArray = npt.NDArray[np.float32]


class AudioRejected(Exception):
    """A recording we refuse, with a slug for code and a sentence for the clinician."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def about(self, name: str) -> str:
        """The message naming the file ("notes.mp3 is not an audio recording ...")."""
        for subject in ("This file", "This recording"):
            if self.message.startswith(subject):
                return name + self.message[len(subject) :]
        return f"{name}: {self.message}"

    def __reduce__(self) -> tuple[type[AudioRejected], tuple[str, str]]:
        # Keeps the exception picklable, so it survives a trip through Celery.
        return (type(self), (self.code, self.message))


@dataclass(frozen=True)
class AudioInfo:
    format: str  # one of "mp3", "wav", "m4a", "webm", "ogg", "flac"
    duration: float
    sample_rate: int
    channels: int
    codec: str


def _not_audio() -> AudioRejected:
    return AudioRejected("not_audio", f"This file is not an audio recording we can read (we accept {ACCEPTED}).")


def _damaged() -> AudioRejected:
    return AudioRejected(
        "damaged",
        "This recording appears to be damaged or incomplete, perhaps because the upload or the "
        "recording was interrupted. Please upload the full recording again.",
    )


def format_duration(seconds: float) -> str:
    """`4 h 12 min`, `38 min`, `45 s`: how a clinician reads a length."""
    total_minutes = int(seconds // 60)
    hours, minutes = divmod(total_minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    if hours:
        return f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return f"{int(seconds)} s"


def format_size(n_bytes: int) -> str:
    """`1.5 GB`, `300 MB`: decimal units, as file browsers show them."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.3g} {unit}"
    return f"{n_bytes} bytes"


class _ContentOnly:
    """A file wrapper without a `.name`, so FFmpeg can't use the extension as a hint."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw

    def read(self, size: int = -1) -> bytes:
        return self._raw.read(size)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()


def _looks_like_audio(head: bytes) -> bool:
    """True when the first bytes carry the signature of a container we accept.

    Tells a damaged recording (an M4A without its index, a WAV cut in its header)
    from a file that was never audio, when FFmpeg can't open either.
    """
    return (
        head.startswith((b"ID3", b"OggS", b"fLaC", b"\x1a\x45\xdf\xa3"))
        or (head.startswith(b"RIFF") and head[8:12] == b"WAVE")
        or head[4:8] == b"ftyp"
        or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)
    )


@contextmanager
def _opened(path: str | Path) -> Iterator[av.container.InputContainer]:
    """Open by content; raise AudioRejected when FFmpeg can't make sense of the bytes."""
    with open(path, "rb") as raw:
        try:
            container = av.open(_ContentOnly(raw), mode="r")
        except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
            raw.seek(0)
            logger.info("audio open failed: %s", type(exc).__name__)
            raise (_damaged() if _looks_like_audio(raw.read(16)) else _not_audio()) from exc
        try:
            yield container
        except av.FFmpegError as exc:
            raise _damaged() from exc
        finally:
            container.close()


def _audio_stream(container: av.container.InputContainer) -> av.AudioStream:
    if not container.streams.audio:
        raise _not_audio()
    return container.streams.audio[0]


def _check_size(path: Path, max_bytes: int) -> None:
    size = path.stat().st_size
    if size == 0:
        raise AudioRejected("empty", "This file is empty.")
    if size > max_bytes:
        raise AudioRejected("too_large", f"This file is {format_size(size)}; the limit is {format_size(max_bytes)}.")


def _check_container(container: av.container.InputContainer) -> str:
    name = _CONTAINERS.get(container.format.name)
    if name is None:
        raise AudioRejected(
            "unsupported_format",
            f"This recording is in a format we don't accept ({container.format.long_name}). "
            f"Please upload it as {ACCEPTED_CHOICE}.",
        )
    return name


def _codec_name(stream: av.AudioStream) -> str:
    # FFmpeg names some decoders after their output ("mp3float"); callers want the codec.
    name = stream.codec_context.name
    return name.removesuffix("float") if name.endswith("float") else name


def _packet_time(packet: av.Packet[Any]) -> float | None:
    if packet.pts is None or packet.time_base is None:
        return None
    return float(packet.pts * packet.time_base)


def _decodable_seconds(container: av.container.InputContainer, stream: av.AudioStream, after: float) -> float:
    """Seconds of audio decoded from packets at or after `after`, stopping at _CHECK_SECONDS.

    Packets before `after` are skipped without decoding, so a seek that lands early
    costs demuxing only.
    """
    decoded = 0.0
    for packet in container.demux(stream):
        time = _packet_time(packet)
        if time is not None and time < after:
            continue
        for frame in packet.decode():
            decoded += frame.samples / (frame.sample_rate or SAMPLE_RATE)
        if decoded >= _CHECK_SECONDS or packet.size == 0:
            break
    return decoded


def _scan_duration(container: av.container.InputContainer, stream: av.AudioStream) -> float:
    """End time of the last packet, for streams that don't state a length.

    Browser MediaRecorder WebM files carry no duration. Seeking as far as possible
    lets FFmpeg skip to the last cluster in C; if it can't, every packet is read
    (still without decoding) from the start.
    """
    try:
        container.seek(2**62, backward=True, any_frame=False)
    except av.FFmpegError:
        container.seek(0)
    end = 0.0
    for packet in container.demux(stream):
        time = _packet_time(packet)
        if time is not None and packet.time_base is not None:
            end = max(end, time + float((packet.duration or 0) * packet.time_base))
    container.seek(0)
    return end


def _duration(container: av.container.InputContainer, stream: av.AudioStream) -> float:
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    if stream.duration is not None and stream.time_base is not None and stream.duration > 0:
        return float(stream.duration * stream.time_base)
    return _scan_duration(container, stream)


def _check_decodes(container: av.container.InputContainer, stream: av.AudioStream, duration: float) -> None:
    """Decode a moment at the start and, for longer files, near the stated end.

    A file cut short (an interrupted upload whose header still promises the full
    length) decodes fine at the start and has nothing to give near the end.
    """
    if _decodable_seconds(container, stream, after=0.0) <= 0:
        raise _damaged()
    if duration <= _TAIL_SLACK:
        return
    target = duration - _TAIL_SECONDS
    container.seek(int(target * av.time_base), backward=True, any_frame=False)
    if _decodable_seconds(container, stream, after=duration - _TAIL_SLACK) <= 0:
        raise _damaged()


def probe(path: str | Path, *, max_duration: float, max_bytes: int) -> AudioInfo:
    """Recognise and check a recording; raise AudioRejected with a plain reason if unusable."""
    path = Path(path)
    _check_size(path, max_bytes)
    with _opened(path) as container:
        stream = _audio_stream(container)
        fmt = _check_container(container)
        duration = _duration(container, stream)
        if duration <= 0:
            raise AudioRejected("empty", "This recording contains no audio.")
        if duration > max_duration:
            raise AudioRejected(
                "too_long",
                f"This recording is {format_duration(duration)} long; the limit is {format_duration(max_duration)}.",
            )
        _check_decodes(container, stream, duration)
        info = AudioInfo(fmt, round(duration, 3), stream.rate or 0, stream.channels or 0, _codec_name(stream))
    logger.info("audio probed: format=%s codec=%s duration=%.1f", info.format, info.codec, info.duration)
    return info


def _origin(stream: av.AudioStream) -> float:
    if stream.start_time is None or stream.time_base is None:
        return 0.0
    return float(stream.start_time * stream.time_base)


def _seek(container: av.container.InputContainer, start: float) -> None:
    """Seek to a keyframe at or before `start`; decoding from 0 is the fallback."""
    if start <= 0:
        return
    try:
        container.seek(int(start * av.time_base), backward=True, any_frame=False)
    except av.FFmpegError:
        container.seek(0)


def _frames(container: av.container.InputContainer, stream: av.AudioStream) -> Iterator[av.AudioFrame]:
    """Decoded frames, skipping isolated corrupt packets as FFmpeg's own tools do."""
    bad = 0
    for packet in container.demux(stream):
        try:
            yield from packet.decode()
        except av.error.InvalidDataError:
            bad += 1
            if bad > _MAX_BAD_PACKETS:
                raise
    if bad:
        logger.warning("audio decode skipped %d corrupt packets", bad)


def _ranged_frames(
    container: av.container.InputContainer, stream: av.AudioStream, start: float, end: float | None
) -> Iterator[tuple[float, av.AudioFrame]]:
    """(time, frame) for frames that overlap [start, end); time falls back to a running count."""
    clock: float | None = None
    for frame in _frames(container, stream):
        time = frame.time if frame.time is not None else clock
        length = frame.samples / (frame.sample_rate or SAMPLE_RATE)
        clock = (time if time is not None else 0.0) + length
        if time is None:
            time = clock - length
        if end is not None and time >= end:
            return
        if time + length > start:
            yield time, frame


def _mono(frame: av.AudioFrame) -> AudioArray:
    return np.asarray(frame.to_ndarray(), dtype=np.float32).reshape(-1)


def _resample_range(frames: Iterator[tuple[float, av.AudioFrame]]) -> tuple[float, list[AudioArray]]:
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    first: float | None = None
    pieces: list[AudioArray] = []
    for time, frame in frames:
        if first is None:
            first = time
        # FFmpeg refuses frames whose layout or rate changes mid-stream unless this is cleared.
        frame.pts = None
        pieces.extend(_mono(out) for out in resampler.resample(frame))
    pieces.extend(_mono(out) for out in resampler.resample(None))
    return (first if first is not None else 0.0), pieces


def decode(path: str | Path, *, start: float = 0.0, end: float | None = None, absolute: bool = False) -> AudioArray:
    """16 kHz mono float32 samples of [start, end) seconds, decoding only that stretch.

    ``absolute``: times are the container's own timestamps, not counted from its first sample
    (the rest of a browser recording whose first minutes were transcribed live and deleted)."""
    start = max(0.0, start)
    with _opened(path) as container:
        stream = _audio_stream(container)
        # Times count from the stream's first sample (MP3 starts after its encoder delay),
        # so a ranged decode lines up sample for sample with a full one.
        origin = 0.0 if absolute else _origin(stream)
        _seek(container, start + origin)
        frames = _ranged_frames(container, stream, start + origin, None if end is None else end + origin)
        first, pieces = _resample_range(frames)
        first -= origin
    audio = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
    skip = max(0, round((start - first) * SAMPLE_RATE))
    audio = audio[skip:]
    if end is not None:
        audio = audio[: max(0, round((end - start) * SAMPLE_RATE))]
    return np.ascontiguousarray(audio, dtype=np.float32)


def join_recordings(paths: list[Path], out: IO[bytes]) -> None:
    """Write WebM recordings one after the other as one WebM stream (packets copied, not
    re-encoded): each one's timestamps continue from the end of the one before.

    A browser recording continued with a second MediaRecorder restarts its timestamps at 0; its
    bytes simply appended would overlap the first in time. The first keeps its own timestamps."""
    with av.open(out, "w", format="webm") as output:
        target: av.AudioStream | None = None
        shift = 0
        for path in paths:
            with _opened(path) as container:
                stream = _audio_stream(container)
                if target is None:
                    target = output.add_stream_from_template(stream)
                end = shift
                for packet in container.demux(stream):
                    if packet.dts is None or packet.pts is None:
                        continue
                    packet.pts += shift
                    packet.dts += shift
                    end = max(end, packet.pts + (packet.duration or 0))
                    packet.stream = target
                    output.mux(packet)
                shift = end
