"""The session-store interface: what the monitor writes, what recovery reads back, and the read API.

A backend (``sqlite.py`` — the embedded default; ``postgres.py`` for shared state) subclasses
:class:`SessionStore`. The contract between the monitor and a backend:

* **Write side** — ``record_step`` and ``record_snapshot`` are *synchronous and
  never block or raise*: they queue the record and return. The backend writes in the background, retries a
  failing write (logged and counted in ``counters``) and, when its queue overflows, drops the oldest statuses
  first (counted as ``dropped``). A failing store never holds up alerts on MQTT.
* **Atomic steps** — one :class:`Step` (an input the pipeline applied, with the statuses and alerts it produced)
  is written in one transaction, so after a crash the stored inputs always reproduce the stored outputs: recovery
  replays inputs and re-sends nothing already stored.
* **Recovery** — :meth:`SessionStore.recover` returns every athlete whose session is open: the last snapshot
  (``AthletePipeline.state_dict()``), the inputs recorded after it, and the ids of the alerts already sent.
* **Read API** (``sessions``, ``session``, ``statuses``, ``alerts``, ``samples``) — for ``crampwatch sessions``,
  the dashboard's history and ``crampwatch report``. Async (a backend may run them in a thread).

Session ids are deterministic and readable: ``{squad}.{athlete}.{start in ms}`` (ids never contain a dot).

>>> session_id("club", "ann", 1732400000.25)
'club.ann.1732400000250'
>>> parse_session_id("club.ann.1732400000250")
('club', 'ann', 1732400000.25)
"""

from __future__ import annotations

import abc
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

_SESSION_ID = re.compile(r"^([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{1,64})\.(\d{1,16})$")


#: Where a store's path came from, so its messages name what the user gave: the ``--store`` flag, the monitor's
#: ``CRAMPWATCH_STORE`` setting, or the monitor's default file.
FLAG, ENV, DEFAULT = "--store", "CRAMPWATCH_STORE", "default"


def file_origin(config_file: object) -> str:
    """The origin of a store named in the monitor's ``--config`` file."""
    return f"file:{config_file}"


def store_label(origin: str, text: str) -> str:
    """How a message names the store ``text`` that came from ``origin``.

    >>> store_label(ENV, "/srv/s.db"), store_label(file_origin("/etc/cw.toml"), "/srv/s.db")
    ('CRAMPWATCH_STORE=/srv/s.db', '/etc/cw.toml: store = /srv/s.db')
    """
    if origin.startswith("file:"):
        return f"{origin[5:]}: store = {text}"
    if origin == ENV:
        return f"CRAMPWATCH_STORE={text}"
    if origin == DEFAULT:
        return f"the default session store {text}"
    return f"--store {text}"


def session_id(squad: str, athlete: str, start: float) -> str:
    """The id of the session of ``squad/athlete`` that started at event time ``start`` (Unix seconds).

    ``start`` is taken to 4 decimals first, as statuses carry it (``session_start``), so the pipeline's exact
    start and a status's copy of it name the same session (a start with microseconds, ``time.time()``, was one
    time in 20 two sessions: the inputs in one, the statuses in another).

    >>> session_id("club", "ann", 1796114227.449491) == session_id("club", "ann", 1796114227.4495)
    True
    """
    return f"{squad}.{athlete}.{round(round(start, 4) * 1000)}"


def parse_session_id(text: str) -> tuple[str, str, float]:
    """``(squad, athlete, start)`` of a session id; ``ValueError`` for anything else."""
    m = _SESSION_ID.match(text)
    if m is None:
        raise ValueError(f"not a session id: {text[:80]!r} (expected SQUAD.ATHLETE.START_MS)")
    return m.group(1), m.group(2), int(m.group(3)) / 1000.0


@dataclass(frozen=True, slots=True)
class Step:
    """One input message applied to an athlete's pipeline, and what it produced.

    ``leaf`` and ``payload`` are the message's topic leaf (``frame``, ``hr``, ..., ``session``, ``profile``,
    ``ack``) and raw payload: recovery replays them through the same :class:`~monitor.core.router.Router`, so a
    restored session continues exactly as it would have. A leaf starting with ``_`` is a wall-clock action of
    the service on the pipeline (``_release``: :meth:`~monitor.core.pipeline.AthletePipeline.release`, when the
    athlete went quiet), replayed by calling it. ``leaf=None`` records outputs without an input (e.g. alerts first
    sent during a recovery). ``session_start`` is the athlete's session *after* the input (``None``
    when it ended the session). ``alerts`` are the alert dicts actually sent.
    """

    squad: str
    athlete: str
    leaf: str | None
    payload: bytes | None
    session_start: float | None
    statuses: tuple[dict[str, Any], ...] = ()
    alerts: tuple[dict[str, Any], ...] = ()
    wall: float | None = None  # the service's wall clock (Unix s) when it applied the input: the "future time"
    # bound of the replay is the one the input met then


@dataclass(slots=True)
class Recovery:
    """An athlete whose session was open when the monitor stopped."""

    squad: str
    athlete: str
    session_start: float
    snapshot: dict[str, Any] | None  # AthletePipeline.state_dict() at the last snapshot, None if none was taken
    inputs: list[tuple[str, bytes, float | None]]  # (leaf, payload, wall) recorded after the snapshot, in order
    sent: set[str] = field(default_factory=set)  # alert ids already sent in this session
    last_status_t: float | None = None  # event time of the newest stored status of this session
    last_status: dict[str, Any] | None = None  # that status (the pipeline's ``last_status`` after a restart)


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """One row of ``crampwatch sessions``."""

    id: str
    squad: str
    athlete: str
    name: str | None
    start: float
    last_t: float | None
    duration_s: float | None
    distance_m: float | None
    peak_risk: float | None
    peak_level: str | None
    alerts: int
    open: bool

    def to_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.__slots__}


class SessionStore(abc.ABC):
    """Base class of session-store backends. See the module docstring for the contract."""

    #: URL-ish description for logs (never with a password).
    description: str = "store"

    def __init__(self) -> None:
        self.counters: Counter[str] = Counter()

    # ---- lifecycle ---------------------------------------------------------------------------------------
    @abc.abstractmethod
    async def open(self) -> None:
        """Open (create the schema if needed). Raises ``UsageError`` when the store cannot be used at all."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Write what is queued (bounded wait), then release everything."""

    async def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued so far is written (or ``timeout``); True when it was."""
        return True

    async def __aenter__(self) -> SessionStore:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ---- write side: queue and return, never block, never raise -----------------------------------------
    @abc.abstractmethod
    def record_step(self, step: Step) -> None:
        """One pipeline input with its statuses and sent alerts (one transaction)."""

    @abc.abstractmethod
    def record_snapshot(self, squad: str, athlete: str, session_start: float, state: str) -> None:
        """``AthletePipeline.state_dict()`` as JSON text (encoded by the caller at once: the dict shares lists
        with the live pipeline), as of the last step recorded for this athlete."""

    def pending(self) -> int:
        """Records queued and not yet written."""
        return 0

    # ---- recovery ----------------------------------------------------------------------------------------
    @abc.abstractmethod
    async def recover(self) -> list[Recovery]:
        """Every athlete whose session is open, with what is needed to continue it exactly."""

    # ---- read API ----------------------------------------------------------------------------------------
    @abc.abstractmethod
    async def sessions(
        self, *, squad: str | None = None, athlete: str | None = None, limit: int | None = None
    ) -> list[SessionSummary]:
        """Sessions, newest start first."""

    @abc.abstractmethod
    async def session(self, sid: str) -> SessionSummary | None:
        """One session, or None."""

    @abc.abstractmethod
    async def statuses(self, sid: str) -> list[dict[str, Any]]:
        """The session's statuses in event-time order (as published)."""

    @abc.abstractmethod
    async def alerts(self, sid: str) -> list[dict[str, Any]]:
        """The session's alerts in event-time order (as published), each with ``acked`` (bool) added."""

    @abc.abstractmethod
    async def samples(self, sid: str) -> list[tuple[str, float, float]]:
        """The session's accepted samples ``(stream, t, value)`` in arrival order."""
