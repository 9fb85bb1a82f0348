"""Following a real MediaRecorder recording (Chromium, 3-s parts) through its WebM structure."""

from __future__ import annotations

import io

import av
import pytest

from tests.fixtures.recorder import PARTS, recording
from transcription import webm


def test_only_the_first_part_carries_the_header_and_clusters_straddle_parts() -> None:
    first = PARTS[0].read_bytes()
    head = webm.header(first)
    assert head is not None and head.scale_ns == 1_000_000
    with pytest.raises(ValueError, match="not a WebM stream"):
        webm.header(PARTS[1].read_bytes())
    data = recording()
    scan = webm.clusters(data, start=head.length)
    assert scan.new_header_at is None
    times = [c.seconds for c in scan.clusters]
    assert times == sorted(times) and times[0] == 0.0 and times[-1] > 60
    boundaries, at = set(), 0
    for part in PARTS:
        at += part.stat().st_size
        boundaries.add(at)
    # MediaRecorder's parts are not cut at Cluster boundaries.
    assert any(c.offset not in boundaries for c in scan.clusters[1:])


def test_the_header_and_any_run_of_clusters_decode_with_the_recordings_own_times() -> None:
    data = recording()
    head = webm.header(data)
    assert head is not None
    clusters = webm.clusters(data, start=head.length).clusters
    middle = clusters[8]
    cut_short = data[: head.length] + data[middle.offset : clusters[12].offset + 3000]
    with av.open(io.BytesIO(cut_short), mode="r") as container:
        times = [float(f.time or 0.0) for f in container.decode(audio=0)]
    assert abs(times[0] - middle.seconds) < 0.05 and times[-1] > clusters[11].seconds


def test_resync_finds_the_next_cluster_inside_a_part() -> None:
    data = recording()
    head = webm.header(data)
    assert head is not None
    clusters = webm.clusters(data, start=head.length).clusters
    inside = clusters[5].offset + 100
    found = webm.resync(data[inside:])
    assert found is not None and found.offset + inside == clusters[6].offset and found.seconds == clusters[6].seconds


def test_a_second_recording_in_the_same_stream_is_found() -> None:
    data = recording()
    head = webm.header(data)
    assert head is not None
    scan = webm.clusters(data + data, start=head.length)
    assert scan.new_header_at == len(data)
