"""Just enough of Matroska/WebM to follow a browser recording while it arrives in parts.

MediaRecorder writes one WebM stream: the EBML header, a Segment of unknown size, its Info and
Tracks (the header, no audio in it), then Clusters of unknown size, each starting with its
Timecode and holding SimpleBlocks. Only the first part carries the header; later parts are
continuation bytes whose boundaries fall anywhere, even inside a block. Any run of whole
Clusters after the header is a stream FFmpeg decodes, with the recording's own timestamps.

Pure byte parsing: no Django, no decoding.
"""

from __future__ import annotations

from dataclasses import dataclass

EBML = 0x1A45DFA3
SEGMENT = 0x18538067
CLUSTER = 0x1F43B675
INFO = 0x1549A966
TIMECODE_SCALE = 0x2AD7B1
TIMECODE = 0xE7
# Level-1 elements: one of these ends a Cluster of unknown size.
_TOP_LEVEL = {CLUSTER, EBML, SEGMENT, INFO, 0x1654AE6B, 0x1C53BB6B, 0x1254C367, 0x114D9B74, 0x1941A469, 0x1043A770}
DEFAULT_SCALE_NS = 1_000_000


class Incomplete(Exception):
    """The bytes end inside an element."""


def _vint(data: bytes, at: int, *, keep_marker: bool) -> tuple[int, int, bool]:
    """(value, length, all ones) of the variable-length integer at ``at``."""
    if at >= len(data):
        raise Incomplete
    first = data[at]
    if first == 0:
        raise ValueError("invalid EBML variable-length integer")
    length = 1
    mask = 0x80
    while not first & mask:
        mask >>= 1
        length += 1
    if at + length > len(data):
        raise Incomplete
    value = first if keep_marker else first & (mask - 1)
    for byte in data[at + 1 : at + length]:
        value = (value << 8) | byte
    unknown = not keep_marker and value == (1 << (7 * length)) - 1
    return value, length, unknown


def element(data: bytes, at: int) -> tuple[int, int, int | None]:
    """(id, offset of its payload, payload size or None when unknown) of the element at ``at``."""
    ident, id_len, _ = _vint(data, at, keep_marker=True)
    size, size_len, unknown = _vint(data, at + id_len, keep_marker=False)
    return ident, at + id_len + size_len, None if unknown else size


def _uint(data: bytes, at: int, size: int) -> int:
    if at + size > len(data):
        raise Incomplete
    return int.from_bytes(data[at : at + size], "big")


@dataclass(frozen=True)
class Header:
    length: int  # bytes before the first Cluster
    scale_ns: int  # TimecodeScale: nanoseconds per timecode tick


def header(data: bytes) -> Header | None:
    """The header at the start of a recording's first part; None until its first Cluster has begun."""
    try:
        ident, payload, size = element(data, 0)
        if ident != EBML or size is None:
            raise ValueError("not a WebM stream")
        ident, at, _ = element(data, payload + size)
        if ident != SEGMENT:
            raise ValueError("no Segment after the EBML header")
        scale = DEFAULT_SCALE_NS
        while True:
            start = at
            ident, payload, size = element(data, at)
            if ident == CLUSTER:
                return Header(start, scale)
            if size is None:
                raise ValueError("a header element of unknown size")
            if ident == INFO:
                scale = _scale(data, payload, size) or scale
            at = payload + size
    except Incomplete:
        return None


def _scale(data: bytes, payload: int, size: int) -> int | None:
    at = payload
    while at < payload + size:
        ident, inner, inner_size = element(data, at)
        if inner_size is None:
            return None
        if ident == TIMECODE_SCALE:
            return _uint(data, inner, inner_size)
        at = inner + inner_size
    return None


@dataclass(frozen=True)
class Cluster:
    offset: int  # where the Cluster element begins
    seconds: float  # its Timecode


@dataclass(frozen=True)
class Scan:
    clusters: list[Cluster]
    new_header_at: int | None  # a second recording's EBML header, which begins a new stream


def clusters(data: bytes, *, scale_ns: int = DEFAULT_SCALE_NS, start: int = 0) -> Scan:
    """The Clusters in ``data`` from ``start`` (a Cluster start) on; the last may still be arriving."""
    found: list[Cluster] = []
    at = start
    try:
        while at < len(data):
            ident, payload, size = element(data, at)
            if ident == EBML:
                return Scan(found, at)
            if ident != CLUSTER:
                if size is None:
                    break
                at = payload + size
                continue
            timecode, end = _cluster_body(data, payload, size)
            if timecode is None:
                break
            found.append(Cluster(at, timecode * scale_ns / 1e9))
            if end is None:
                break
            at = end
    except (Incomplete, ValueError):
        pass
    return Scan(found, None)


def _cluster_body(data: bytes, payload: int, size: int | None) -> tuple[int | None, int | None]:
    """(Timecode, offset after the Cluster or None while it is still arriving). An unknown-size
    Cluster ends at the next level-1 element."""
    at = payload
    timecode: int | None = None
    limit = len(data) if size is None else payload + size
    try:
        while at < limit:
            ident, inner, inner_size = element(data, at)
            if ident in _TOP_LEVEL:
                return timecode, at
            if inner_size is None:
                raise ValueError("a cluster child of unknown size")
            if ident == TIMECODE:
                timecode = _uint(data, inner, inner_size)
            at = inner + inner_size
    except Incomplete:
        return timecode, None
    return timecode, (at if size is not None and at <= len(data) else None)


def resync(data: bytes, *, scale_ns: int = DEFAULT_SCALE_NS) -> Cluster | None:
    """The first Cluster that begins in ``data`` (which may begin inside one): the Cluster ID followed
    by a valid size and its Timecode, so the same four bytes inside audio are not taken for one."""
    at = data.find(CLUSTER.to_bytes(4, "big"))
    while at >= 0:
        try:
            _, payload, _ = element(data, at)
            ident, inner, inner_size = element(data, payload)
            if ident == TIMECODE and inner_size is not None and inner_size <= 8:
                return Cluster(at, _uint(data, inner, inner_size) * scale_ns / 1e9)
        except (Incomplete, ValueError):
            pass
        at = data.find(CLUSTER.to_bytes(4, "big"), at + 1)
    return None
