"""Readers of recorded runs: FIT, TCX, GPX and CSV files → :class:`Recording`.

:func:`read_recording` decides the format from the content first (FIT header magic, XML root element) and from
the extension second, so a mislabelled file is still read; a file that is neither says which format its
extension promised and why it is not that. ``.gz`` files are decompressed first. Every failure (missing,
empty, truncated, damaged, wrong format) raises :class:`~monitor.errors.InputFileError` with one line that
starts with the file name.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import zlib
from pathlib import Path

from monitor.errors import InputFileError
from simulators.readers.csvfile import read_csv
from simulators.readers.fit import looks_like_fit, read_fit
from simulators.readers.gpx import read_gpx
from simulators.readers.recording import DeviceSummary, Recording
from simulators.readers.summary import SUMMARY_KEYS, Summary, summarize
from simulators.readers.tcx import read_tcx

__all__ = [
    "FORMATS",
    "SUMMARY_KEYS",
    "DeviceSummary",
    "Recording",
    "Summary",
    "detect_format",
    "read_recording",
    "summarize",
]

#: Formats by extension.
FORMATS = {".fit": "fit", ".tcx": "tcx", ".gpx": "gpx", ".csv": "csv", ".txt": "csv", ".tsv": "csv"}
#: Refuse anything bigger than this (bytes, after decompression): a recorded run is a few MB at most.
MAX_BYTES = 200 * 1024 * 1024
_XML_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)[\s>/]")


def detect_format(data: bytes, name: str) -> str:
    """``fit``, ``tcx``, ``gpx`` or ``csv``, from the content, else from the extension (``csv`` by default).

    >>> detect_format(b"<?xml version='1.0'?><gpx version='1.1'></gpx>", "x.tcx")
    'gpx'
    >>> detect_format(b"t,hr\\n1,150\\n", "run.txt")
    'csv'
    """
    if looks_like_fit(data[:14]):
        return "fit"
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        for match in _XML_ROOT.finditer(head):
            tag = match.group(1).decode("ascii", "replace").rsplit(":", 1)[-1]
            if tag.startswith(("?", "!")):
                continue
            if tag == "TrainingCenterDatabase":
                return "tcx"
            if tag == "gpx":
                return "gpx"
            break
    return FORMATS.get(_suffix(name), "csv")


def read_recording(path: str | os.PathLike[str]) -> Recording:
    """Read one recorded run. Raises :class:`InputFileError` (one line) when it cannot."""
    p = Path(path)
    source = str(path)
    try:
        size = p.stat().st_size
        if p.is_dir():
            raise InputFileError(f"{source}: is a directory, not a recording")
        if size > MAX_BYTES:
            raise InputFileError(f"{source}: too large for a recorded run ({size} bytes)")
        data = p.read_bytes()
    except FileNotFoundError as exc:
        raise InputFileError(f"{source}: no such file") from exc
    except OSError as exc:
        raise InputFileError(f"{source}: cannot read: {exc.strerror or exc}") from exc
    name = p.name
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data, source)
        name = name[:-3] if name.lower().endswith(".gz") else name
    if not data.strip():
        raise InputFileError(f"{source}: empty file")
    fmt = detect_format(data, name)
    if fmt == "fit":
        return read_fit(data, source)
    if not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and fmt in ("tcx", "gpx"):
        raise InputFileError(f"{source}: not a {fmt.upper()} file: not XML (does not start with '<')")
    if fmt == "tcx":
        return read_tcx(data, source)
    if fmt == "gpx":
        return read_gpx(data, source)
    return read_csv(data, source)


def _suffix(name: str) -> str:
    name = name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return os.path.splitext(name)[1]


def _gunzip(data: bytes, source: str) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
            out = fh.read(MAX_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputFileError(f"{source}: damaged gzip file: {exc}") from exc
    if len(out) > MAX_BYTES:
        raise InputFileError(f"{source}: too large for a recorded run after decompression")
    return out
