"""Speaker embeddings with Resemblyzer's pretrained GE2E voice encoder, in numpy only.

The network (40 mel bands -> three LSTM layers of 256 -> linear 256 -> ReLU -> L2 norm)
was trained on thousands of speakers to put one voice's stretches close together and
different voices apart whatever the words or the pitch, which is what labelling two
speakers of similar pitch needs. Its weights come from the Resemblyzer package
(Apache-2.0) converted once by `transcription.voice_weights`; running them here instead
of through torch keeps a worker ~5 MB heavier, not ~300 MB, and needs no download.

An utterance is cut into 1.6 s windows (1.3 a second, as Resemblyzer does), each window
is embedded, and the utterance's embedding is the normalised mean of its windows'.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_limits

from transcription.voice_weights import N_FFT, SAMPLE_RATE, ensure_weights

HOP = 160  # 10 ms
WINDOW_FRAMES = 160  # 1.6 s per partial utterance
WINDOWS_PER_SECOND = 1.3
MIN_COVERAGE = 0.75
LAYERS = 3
TARGET_DBFS = -30.0
# Windows embedded at once. The input gates of a batch are batch x 160 x 1024 floats: 21 MB
# at 32, so a 300 s chunk's 390 windows never cost a worker more than that; larger batches
# were no faster on this machine.
BATCH = 32

Floats = npt.NDArray[np.float32]


@cache
def _weights() -> dict[str, Floats]:
    with np.load(ensure_weights()) as data:
        return {name: np.asarray(data[name], dtype=np.float32) for name in data.files}


def _hann() -> Floats:
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)


def mel_spectrogram(wav: Floats) -> Floats:
    """Power mel spectrogram (frames x 40), as librosa.feature.melspectrogram with centred frames."""
    padded = np.pad(wav.astype(np.float32), N_FFT // 2)
    count = 1 + (len(padded) - N_FFT) // HOP
    index = np.arange(N_FFT)[None, :] + HOP * np.arange(count)[:, None]
    spectrum = np.abs(np.fft.rfft(padded[index] * _hann(), axis=1)) ** 2
    return np.asarray(spectrum @ _weights()["mel_basis"].T, dtype=np.float32)


def _normalise_volume(wav: Floats) -> Floats:
    """Raise quiet audio to -30 dBFS (never lower it), as the encoder's training audio was."""
    rms = float(np.sqrt(np.mean(wav.astype(np.float64) ** 2)))
    if rms == 0.0:
        return wav
    gain = 10 ** (TARGET_DBFS / 20) / rms
    return wav * np.float32(gain) if gain > 1.0 else wav


def window_starts(n_samples: int) -> list[int]:
    """First mel frame of each 1.6 s window over `n_samples` (Resemblyzer's partial slices)."""
    n_frames = int(np.ceil((n_samples + 1) / HOP))
    step = round(SAMPLE_RATE / WINDOWS_PER_SECOND / HOP)
    starts = list(range(0, max(1, n_frames - WINDOW_FRAMES + step + 1), step))
    coverage = (n_samples - starts[-1] * HOP) / (WINDOW_FRAMES * HOP)
    if coverage < MIN_COVERAGE and len(starts) > 1:
        starts.pop()
    return starts


def _sigmoid(x: Floats) -> Floats:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * x)), dtype=np.float32)


def _lstm_layer(inputs: Floats, layer: int) -> Floats:
    """One LSTM layer over (batch, time, features), PyTorch's gate order (input, forget, cell, output)."""
    w = _weights()
    gates_in = inputs @ w[f"lstm_weight_ih_l{layer}"].T
    gates_in += w[f"lstm_bias_ih_l{layer}"] + w[f"lstm_bias_hh_l{layer}"]  # in place: no second 21 MB array
    recurrent = w[f"lstm_weight_hh_l{layer}"].T
    batch, steps, hidden = inputs.shape[0], inputs.shape[1], recurrent.shape[0]
    h = np.zeros((batch, hidden), np.float32)
    c = np.zeros((batch, hidden), np.float32)
    outputs = np.empty((batch, steps, hidden), np.float32)
    for t in range(steps):
        gates = gates_in[:, t] + h @ recurrent
        i, f, g, o = np.split(gates, 4, axis=1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        outputs[:, t] = h
    return outputs


def embed_windows(mels: Floats) -> Floats:
    """L2-normalised embeddings (batch x 256) of a batch of 160-frame mel windows."""
    hidden = mels
    for layer in range(LAYERS):
        hidden = _lstm_layer(hidden, layer)
    w = _weights()
    raw = np.maximum(hidden[:, -1] @ w["linear_weight"].T + w["linear_bias"], 0.0)
    return np.asarray(raw / (np.linalg.norm(raw, axis=1, keepdims=True) + 1e-9), dtype=np.float32)


def utterance_windows(wav: Floats) -> Floats:
    """The 160-frame mel windows of one utterance (windows x 160 x 40), zero-padded at the end."""
    wav = _normalise_volume(wav.astype(np.float32))
    starts = window_starts(len(wav))
    needed = (starts[-1] + WINDOW_FRAMES) * HOP
    if needed >= len(wav):
        wav = np.pad(wav, (0, needed - len(wav)))
    mel = mel_spectrogram(wav)
    return np.stack([mel[s : s + WINDOW_FRAMES] for s in starts])


def embed_utterances(wavs: list[Floats]) -> list[Floats]:
    """One L2-normalised 256-d embedding per utterance, all utterances' windows batched together."""
    windows = [utterance_windows(wav) for wav in wavs]
    if not windows:
        return []
    stacked = np.concatenate(windows)
    # numpy's matrix products on one thread: they are small (32 x 256 by 256 x 1024, 480 a batch),
    # OpenBLAS's threads spend more time meeting than working, and on a machine busy with Whisper
    # (load 10) a 300 s chunk's prints took 52 s with them and 5.9 s without.
    with threadpool_limits(limits=1, user_api="blas"):
        embedded = np.concatenate([embed_windows(stacked[i : i + BATCH]) for i in range(0, len(stacked), BATCH)])
    out: list[Floats] = []
    start = 0
    for count in (len(w) for w in windows):
        mean = embedded[start : start + count].mean(axis=0)
        out.append(np.asarray(mean / (np.linalg.norm(mean) + 1e-9), dtype=np.float32))
        start += count
    return out
