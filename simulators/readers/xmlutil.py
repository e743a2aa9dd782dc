"""Small helpers shared by the XML readers (TCX, GPX): namespace-agnostic lookup, time and number parsing."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime

from monitor.errors import InputFileError


def local(tag: str) -> str:
    """Tag name without its ``{namespace}`` and without a ``prefix:``.

    >>> local("{http://www.garmin.com/xmlschemas/ActivityExtension/v2}RunCadence")
    'RunCadence'
    """
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def parse_xml(data: bytes, source: str, kind: str) -> ET.Element:
    """Parse XML; an error becomes one line: ``x.tcx: not a TCX file: XML parse error at line 3``."""
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else "?"
        raise InputFileError(f"{source}: not a {kind} file: XML parse error at line {line}") from exc


def children(el: ET.Element, name: str) -> Iterator[ET.Element]:
    """Direct children with local name ``name``."""
    for child in el:
        if isinstance(child.tag, str) and local(child.tag) == name:
            yield child


def child(el: ET.Element, name: str) -> ET.Element | None:
    return next(children(el, name), None)


def descendants(el: ET.Element, name: str) -> Iterator[ET.Element]:
    """All descendants (depth first, document order) with local name ``name``."""
    for node in el.iter():
        if node is not el and isinstance(node.tag, str) and local(node.tag) == name:
            yield node


def path_text(el: ET.Element, *names: str) -> str | None:
    """Text of the first element reached by following child local names."""
    node: ET.Element | None = el
    for name in names:
        if node is None:
            return None
        node = child(node, name)
    if node is None or node.text is None:
        return None
    return node.text.strip() or None


def number(text: str | None, source: str, what: str) -> float:
    """A finite float, NaN when absent; garbage raises :class:`InputFileError` naming the element."""
    if text is None:
        return math.nan
    try:
        value = float(text)
    except ValueError as exc:
        raise InputFileError(f"{source}: bad number {text[:30]!r} in <{what}>") from exc
    return value if math.isfinite(value) else math.nan


def opt_number(text: str | None, source: str, what: str) -> float | None:
    value = number(text, source, what)
    return None if math.isnan(value) else value


def iso_time(text: str | None, source: str, what: str = "Time") -> float:
    """ISO 8601 time (``Z``, offsets, fractions; naive = UTC) to Unix seconds."""
    if text is None:
        raise InputFileError(f"{source}: <{what}> missing")
    try:
        stamp = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise InputFileError(f"{source}: bad time {text[:40]!r} in <{what}>") from exc
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.timestamp()
