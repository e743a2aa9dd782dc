"""Athlete profiles from a ``--profiles`` file (TOML or JSON).

Format: a table ``athletes`` whose keys are ``athlete`` or ``squad/athlete`` ids and whose values are contract
profiles::

    [athletes.ann]              # any squad
    name = "Ann"
    training_pace = 330

    [athletes."club/bob"]       # only in squad "club"
    sex = "male"

A retained ``profile`` message overrides the file field by field. Missing fields take the defaults in
docs/profiles.md.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from monitor.core.wire import ID_RE, profile_from_mapping, unknown_profile_field
from monitor.errors import InputFileError, RejectedMessage
from processors.profile import Profile


def read_json_or_toml(path: str | Path, what: str) -> Any:
    """Parse a JSON (``.json`` or text starting with ``{``) or TOML file; every failure is one line
    (:class:`InputFileError` naming the file and ``what`` it should be)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputFileError(f"{path}: no such {what}") from exc
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{path}: cannot read {what}: not UTF-8 text") from exc
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read {what}: {exc.strerror or exc}") from exc
    is_json = p.suffix.lower() == ".json" or text.lstrip().startswith("{")
    try:
        return json.loads(text) if is_json else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise InputFileError(f"{path}: not valid {'JSON' if is_json else 'TOML'}: {exc}") from exc


class ProfileBook:
    """Profiles by ``squad/athlete`` (exact) or ``athlete`` (any squad)."""

    def __init__(self, profiles: dict[str, Profile] | None = None) -> None:
        self._file = dict(profiles or {})
        self._retained: dict[str, Profile] = {}

    def get(self, squad: str, athlete: str) -> Profile:
        key = f"{squad}/{athlete}"
        base = self._file.get(key) or self._file.get(athlete) or Profile()
        retained = self._retained.get(key)
        return base.merged(retained) if retained else base

    def set_retained(self, squad: str, athlete: str, profile: Profile) -> Profile:
        self._retained[f"{squad}/{athlete}"] = profile
        return self.get(squad, athlete)

    def clear_retained(self, squad: str, athlete: str) -> Profile:
        """The retained profile was deleted: the file's profile (or the defaults) again."""
        self._retained.pop(f"{squad}/{athlete}", None)
        return self.get(squad, athlete)

    def __len__(self) -> int:
        return len(self._file)

    @classmethod
    def load(cls, path: str | Path) -> ProfileBook:
        """Read a TOML or JSON profiles file; raise InputFileError (one line) if it is unreadable or wrong."""
        path = Path(path)
        data = read_json_or_toml(path, "profiles file")
        athletes = data.get("athletes") if isinstance(data, dict) else None
        if not isinstance(athletes, dict):
            raise InputFileError(f"{path}: expected a table 'athletes' of profiles")
        profiles: dict[str, Profile] = {}
        for key, fields in athletes.items():
            ids = str(key).split("/")
            if len(ids) > 2 or not all(ID_RE.match(i) for i in ids):
                raise InputFileError(f"{path}: bad athlete key {str(key)[:70]!r} (use athlete or squad/athlete)")
            if not isinstance(fields, dict):
                raise InputFileError(f"{path}: profile {key!r} is not a table")
            unknown = unknown_profile_field(fields)
            if unknown:
                raise InputFileError(f"{path}: profile {key!r}: {unknown}")
            try:
                profile, bad = profile_from_mapping(fields)
            except RejectedMessage as exc:
                raise InputFileError(f"{path}: profile {key!r}: {exc.reason}") from exc
            if bad:
                raise InputFileError(f"{path}: profile {key!r}: {', '.join(bad)}")
            profiles[str(key)] = profile
        return cls(profiles)
