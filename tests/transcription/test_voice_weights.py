"""The voice encoder's weights are made on the machine from Resemblyzer's PyPI wheel, not committed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from transcription import voice_weights


def test_a_machine_without_the_weights_fetches_and_converts_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = voice_weights.ensure_weights()
    assert path == tmp_path / "intellisession" / "models" / "ge2e_voice_encoder-resemblyzer-0.1.4.npz"
    with np.load(path) as data:
        shapes = {name: data[name].shape for name in data.files}
        assert all(data[name].dtype == np.float32 for name in data.files)
    assert shapes["mel_basis"] == (40, 201)
    assert shapes["linear_weight"] == (256, 256)
    assert len([n for n in shapes if n.startswith("lstm_")]) == 12
    assert not list(path.parent.glob(".*.tmp"))  # written whole, under its own name
    assert voice_weights.ensure_weights() == path  # the second call finds it
