"""The monitor's configuration in one place: command-line flags, ``CRAMPWATCH_*`` environment variables and a TOML
file (``--config FILE``), read with pydantic-settings.

Precedence, highest first: **flags > environment > file > defaults**. A setting given nowhere keeps its default.
The file holds the same names as the flags, with underscores (``--http-token`` → ``http_token``); lists are TOML
arrays in the file and comma-separated in the environment::

    # crampwatch.toml
    broker = "mqtts://crampwatch-monitor:s3cret@broker.example"
    http = "0.0.0.0:8080"
    http_allow_hosts = ["coach.example"]
    store = "/var/lib/crampwatch/sessions.db"
    log_format = "json"

Unknown names (a typo) and bad values are errors: one line, exit code 2. ``crampwatch config --check FILE``
prints the effective settings and where each came from, secrets masked (:func:`describe`).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from monitor.core.wire import DEFAULT_PREFIX
from monitor.errors import UsageError
from monitor.redact import redact_url

ENV_PREFIX = "CRAMPWATCH_"

LogLevel = Literal["debug", "info", "warning", "error"]
LogFormat = Literal["text", "json"]
Publish = Literal["direct", "awaited"]


class Settings(BaseSettings):
    """Every setting of ``crampwatch monitor`` (defaults as documented in ``docs/operations.md``)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", env_ignore_empty=True)

    broker: str | None = Field(None, description="mqtt://[user[:password]@]host[:port] or mqtts://...")
    prefix: str = Field(DEFAULT_PREFIX, description="topic prefix")
    ca_file: str | None = Field(None, description="CA bundle for mqtts://")
    cert_file: str | None = Field(None, description="client certificate (mqtts://)")
    key_file: str | None = Field(None, description="client key (mqtts://)")
    client_id: str | None = Field(None, description="MQTT client id")
    profiles: str | None = Field(None, description="athlete profiles file")
    http: str | None = Field(None, description="HOST:PORT of the dashboard, /healthz and /metrics")
    http_token: SecretStr | None = Field(None, description="token required for coach actions")
    http_allow_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list, description="extra Host names")
    store: str | None = Field(None, description="session store (SQLite file, postgresql://, .jsonl, none)")
    webhook: Annotated[list[str], NoDecode] = Field(default_factory=list, description="POST every alert here")
    log_level: LogLevel = Field("info", description="debug, info, warning, error")
    log_format: LogFormat = Field("text", description="text (readable) or json (one object per line)")
    ha_discovery: str | None = Field(None, description="Home Assistant discovery prefix (homeassistant); unset: off")
    publish: Publish = Field(
        "direct",
        description="direct (to the MQTT client, written at once; alerts pipelined) or awaited (one publish each)",
    )

    @field_validator("http_allow_hosts", "webhook", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value


#: Settings whose value is a secret (masked by :func:`describe`); URLs are shown without password or path.
SECRET_FIELDS = frozenset({"http_token"})
URL_FIELDS = frozenset({"broker", "store", "webhook"})


def read_toml(path: str | Path, *, flag: str = "--config") -> dict[str, Any]:
    """The TOML file ``path``; an error names it as the user gave it (``flag``: ``config --check`` says
    ``--check``)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{flag} {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{flag} {path}: cannot read it ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{flag} {path}: not valid TOML: {exc}") from None


class _Fixed(PydanticBaseSettingsSource):
    """A source with fixed values (the parsed TOML file)."""

    def __init__(self, settings_cls: type[BaseSettings], values: Mapping[str, Any]) -> None:
        super().__init__(settings_cls)
        self.values = dict(values)

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover - unused
        return self.values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self.values)


def load(flags: Mapping[str, Any] | None = None, config_file: str | Path | None = None) -> Settings:
    """The effective settings. ``flags``: values given on the command line (``None`` or ``[]`` = not given);
    the environment is the process's. Raises :class:`UsageError` with one line."""
    file_values = read_toml(config_file) if config_file else {}
    given = {k: v for k, v in (flags or {}).items() if v is not None and v != []}

    class _Effective(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return init_settings, env_settings, _Fixed(settings_cls, file_values)

    try:
        return _Effective(**given)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(part) for part in err["loc"]) or "settings"
        message = str(err["msg"]).replace("Extra inputs are not permitted", "unknown setting")
        raise UsageError(f"{_origin(where, given, os.environ, file_values, config_file)}: {message}") from None


def _origin(
    name: str, given: Mapping[str, Any], env: Mapping[str, str], file_values: Mapping[str, Any], path: Any
) -> str:
    if name in given:
        return f"--{name.replace('_', '-')}"
    if ENV_PREFIX + name.upper() in env:
        return ENV_PREFIX + name.upper()
    if name in file_values:
        return f"{path}: {name}"
    return name


def sources(
    settings: Settings, flags: Mapping[str, Any], env: Mapping[str, str], file_values: Mapping[str, Any]
) -> dict[str, str]:
    """Where each setting's value came from: ``flag``, ``env``, ``file`` or ``default``."""
    out = {}
    for name in Settings.model_fields:
        if flags.get(name) not in (None, []):
            out[name] = "flag"
        elif ENV_PREFIX + name.upper() in env and env[ENV_PREFIX + name.upper()] != "":
            out[name] = "env"
        elif name in file_values:
            out[name] = "file"
        else:
            out[name] = "default"
    return out


def masked(name: str, value: Any) -> Any:
    """A setting's value safe to print: secrets as ``***``, URLs without password (webhooks without path)."""
    if value is None:
        return None
    if name in SECRET_FIELDS or isinstance(value, SecretStr):
        return "***"
    if name in URL_FIELDS:
        keep = name != "webhook"
        if isinstance(value, list):
            return [redact_url(v, keep_path=keep) for v in value]
        return redact_url(value, keep_path=keep)
    return value


def describe(config_file: str | Path | None) -> str:
    """The effective settings (file and environment) as one line each with its source; secrets masked."""
    import json

    settings = load({}, config_file)
    file_values = read_toml(config_file) if config_file else {}
    origin = sources(settings, {}, os.environ, file_values)
    lines = ["# crampwatch monitor: effective settings (flags > CRAMPWATCH_* environment > file > defaults)"]
    for name in Settings.model_fields:
        value = masked(name, getattr(settings, name))
        shown = "(unset)" if value is None else json.dumps(value, ensure_ascii=False)
        lines.append(f"{name:<17} = {shown:<48} # {origin[name]}")
    return "\n".join(lines)
