"""The one exception tree of crampwatch. Third-party errors (aiomqtt, pydantic, OS) are translated at the boundary
and raised ``from`` their cause.

::

    CrampwatchError
    ├── UsageError          bad flag, bad URL, unreadable or malformed input file  (CLI exit code 2)
    │   └── InputFileError  a file that cannot be read or parsed
    ├── BrokerError         the MQTT broker cannot be reached or refused us
    ├── MonitorSilent       a paced publisher saw no progress from the monitor (simulators/pacing.py)
    └── RejectedMessage     one MQTT message (or value in it) failed validation; counted, never fatal
"""

from __future__ import annotations


class CrampwatchError(Exception):
    """Base of every error crampwatch raises on purpose."""


class UsageError(CrampwatchError):
    """Bad usage: a flag, URL or file the user gave us is wrong. The CLI prints one line and exits 2."""


class InputFileError(UsageError):
    """A file that cannot be read, is truncated, or is not in the format it claims."""


class BrokerError(CrampwatchError):
    """The MQTT broker cannot be reached, or refused the connection."""


class MonitorSilent(CrampwatchError):
    """A publisher paced by the monitor's statuses (``--speed 0``) saw no progress for its timeout."""


class RejectedMessage(CrampwatchError):
    """One message or value failed validation. ``reason`` is short and never echoes the raw payload."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
