"""Build test audio from small committed fixtures, with PyAV and numpy only.

Tests and benchmarks make long, re-encoded or damaged recordings here at setup time
instead of committing large files. Samples are 16 kHz mono float32 in [-1, 1].
"""

from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

RATE = 16_000
FIXTURES = Path(__file__).parent / "fixtures" / "audio"

Samples = npt.NDArray[np.float32]

# suffix -> (FFmpeg muxer, encoder, encoder sample rate, bit rate or None)
ENCODINGS: dict[str, tuple[str, str, int, int | None]] = {
    "wav": ("wav", "pcm_s16le", RATE, None),
    "flac": ("flac", "flac", RATE, None),
    "mp3": ("mp3", "libmp3lame", RATE, 48_000),
    "m4a": ("ipod", "aac", RATE, 48_000),
    "webm": ("webm", "libopus", 48_000, 32_000),
    "ogg": ("ogg", "libopus", 48_000, 32_000),
    # Not accepted by the product; used to test that refusal.
    "aiff": ("aiff", "pcm_s16be", RATE, None),
}


def load(path: str | Path) -> Samples:
    """Decode a whole (small) file to 16 kHz mono float32."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
    pieces: list[Samples] = []
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            frame.pts = None
            pieces.extend(np.asarray(f.to_ndarray(), np.float32).reshape(-1) for f in resampler.resample(frame))
    pieces.extend(np.asarray(f.to_ndarray(), np.float32).reshape(-1) for f in resampler.resample(None))
    return np.concatenate(pieces) if pieces else np.zeros(0, np.float32)


def silence(seconds: float) -> Samples:
    return np.zeros(round(seconds * RATE), np.float32)


def tone(seconds: float, hz: float = 220.0, level: float = 0.3) -> Samples:
    t = np.arange(round(seconds * RATE), dtype=np.float64) / RATE
    return (level * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def noise(seconds: float, level: float = 0.001, seed: int = 0) -> Samples:
    """Quiet hiss: real rooms are never digitally silent."""
    rng = np.random.default_rng(seed)
    return (level * rng.standard_normal(round(seconds * RATE))).astype(np.float32)


def concat(*parts: Samples) -> Samples:
    return np.concatenate([np.asarray(p, np.float32) for p in parts])


def pad(samples: Samples, before: float = 0.0, after: float = 0.0) -> Samples:
    return concat(silence(before), samples, silence(after))


def _frames(samples: Samples, rate: int) -> list[av.AudioFrame]:
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)
    frames = []
    for i in range(0, len(pcm), 4096):
        frame = av.AudioFrame.from_ndarray(pcm[i : i + 4096].reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        frame.pts = i
        frame.time_base = Fraction(1, rate)
        frames.append(frame)
    return frames


class _Unseekable:
    """A write-only sink: muxers can't go back to fill in a duration or an index,
    just as with a browser's MediaRecorder stream."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("wb")

    def write(self, data: bytes) -> int:
        return self._file.write(data)

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def _sink(path: Path, streaming: bool) -> str | _Unseekable:
    return _Unseekable(path) if streaming else str(path)


def write(path: str | Path, samples: Samples, *, streaming: bool = False) -> Path:
    """Encode 16 kHz mono samples into the format named by the file's suffix.

    `streaming=True` writes as a live recorder does (WebM without duration or cues).
    """
    path = Path(path)
    muxer, codec, codec_rate, bit_rate = ENCODINGS[path.suffix.lstrip(".").lower()]
    sink = _sink(path, streaming)
    with av.open(sink, mode="w", format=muxer) as container:
        stream = container.add_stream(codec, rate=codec_rate)
        assert isinstance(stream, av.AudioStream)
        stream.layout = "mono"
        if bit_rate:
            stream.bit_rate = bit_rate
        resampler = av.AudioResampler(format=stream.format.name, layout="mono", rate=codec_rate)
        for frame in [*_frames(samples, RATE), None]:
            for out in resampler.resample(frame):
                container.mux(stream.encode(out))
        container.mux(stream.encode(None))
    if isinstance(sink, _Unseekable):
        sink.close()
    return path


def reencode(src: str | Path, dst: str | Path) -> Path:
    return write(dst, load(src))


def truncate(src: str | Path, dst: str | Path, *, keep: float) -> Path:
    """Copy the first `keep` fraction of the bytes: an interrupted upload."""
    data = Path(src).read_bytes()
    Path(dst).write_bytes(data[: int(len(data) * keep)])
    return Path(dst)


def repeat_packets(src: str | Path, dst: str | Path, times: int, *, streaming: bool = False) -> Path:
    """Remux `src` back to back `times` times without re-encoding: hours of audio in seconds."""
    dst = Path(dst)
    if times <= 1:
        shutil.copyfile(src, dst)
        return dst
    sink = _sink(dst, streaming)
    muxer = "webm" if dst.suffix == ".webm" else None
    with av.open(str(src)) as inp, av.open(sink, mode="w", format=muxer or inp.format.name.split(",")[0]) as out:
        in_stream = inp.streams.audio[0]
        out_stream = out.add_stream_from_template(in_stream)
        step = max((p.pts or 0) + (p.duration or 0) for p in inp.demux(in_stream))
        for k in range(times):
            # Fresh packets each round: muxing takes ownership of a packet's data.
            inp.seek(0)
            for packet in inp.demux(in_stream):
                if packet.dts is None:
                    continue
                packet.stream = out_stream
                packet.dts += k * step
                if packet.pts is not None:
                    packet.pts += k * step
                out.mux(packet)
    if isinstance(sink, _Unseekable):
        sink.close()
    return dst


def fake_microphone_wav(source: Path, folder: Path) -> Path:
    """`source` as 48 kHz 16-bit PCM WAV, for Chromium's fake capture device (it loops the file)."""
    import av.audio.resampler

    target = folder / "microphone.wav"
    with av.open(str(source)) as decoded, av.open(str(target), "w", format="wav") as out:
        stream = out.add_stream("pcm_s16le", rate=48000, layout="mono")
        resampler = av.audio.resampler.AudioResampler(format="s16", layout="mono", rate=48000)
        for frame in decoded.decode(audio=0):
            for piece in resampler.resample(frame):
                out.mux(stream.encode(piece))  # type: ignore[attr-defined]
        for piece in resampler.resample(None):
            out.mux(stream.encode(piece))  # type: ignore[attr-defined]
        out.mux(stream.encode(None))  # type: ignore[attr-defined]
    return target
