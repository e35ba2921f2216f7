"""Where lumatui keeps its files, and its settings: environment over config.toml over defaults."""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from lumatui.api.hosts import is_loopback
from lumatui.config_file import (
    KEY_ENV,
    ConfigError,
    dumps_toml,
    edit_line,
    flatten_prices,
    means,
    parse_config,
    read_config_file,
    with_value,
    write_atomically,
)
from lumatui.paths import AppPaths, app_paths

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from pydantic_core import ErrorDetails

__all__ = [
    "DEFAULT_BASE_URL",
    "KEY_ENV",
    "AppPaths",
    "ConfigError",
    "SettingSource",
    "Settings",
    "SimConfig",
    "app_paths",
    "flatten_prices",
    "is_loopback",
    "load_settings",
    "mask_secret",
    "read_config_file",
    "save_theme",
    "update_setting",
]

DEFAULT_BASE_URL = "https://agents.lumalabs.ai/v1"
ENV_PREFIX = "LUMATUI_"
KEY_PREFIX = "luma-api-"
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
# Settings read from a variable other than LUMATUI_<NAME>, first match wins.
ENV_NAMES: Mapping[str, tuple[str, ...]] = {
    "api_key": (KEY_ENV,),
    "base_url": ("LUMA_BASE_URL", "LUMATUI_BASE_URL"),
    "log_level": ("LUMATUI_LOG", "LUMATUI_LOG_LEVEL"),
}
TABLES = ("sim", "prices")
SourceKind = Literal["override", "env", "file", "default"]


@dataclass(frozen=True)
class SettingSource:
    """Where one setting's value came from: an override, the environment, the file or a default."""

    kind: SourceKind
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind} {self.detail}" if self.kind == "env" else self.kind


class SimConfig(BaseModel):
    """Knobs of the built-in simulator: the `[sim]` table, `LUMATUI_SIM__<NAME>` variables.

    `settings.sim.model_dump(exclude_none=True)` gives keyword arguments for
    `lumatui.sim.settings.SimSettings`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    speed: float = Field(default=1.0, gt=0)
    requests_per_minute: int = Field(default=60, ge=1)
    concurrent_jobs: int = Field(default=10, ge=1)
    balance_usd: float = Field(default=1000.0, ge=0)
    seed: int | None = None
    budget_usd: float | None = Field(default=None, ge=0)
    faults: str = ""


class Settings(BaseModel):
    """Every setting, validated. Build it with `load_settings()`, which layers the sources.

    Highest first: overrides (keyword arguments), the environment, config.toml, defaults.
    `Settings(**values)` itself takes only the values it is given; it reads nothing (a
    plain model: pydantic-settings' own sources would only be switched off, and importing
    it costs every start-up tens of milliseconds).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    api_key: SecretStr | None = None
    allow_insecure_http: bool = False
    base_url: str = DEFAULT_BASE_URL
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=60.0, gt=0)
    poll_rate_limit: float = Field(default=5.0, gt=0)
    inline_cap_bytes: int = Field(default=10 * 1024 * 1024, ge=0)
    """Local media up to this size is sent inline (and uploaded multipart); larger media,
    and every local video, is uploaded as a file (presigned above this size)."""
    theme: str | None = None
    bell: bool = False
    long_job_alert_s: float = Field(default=20.0, ge=0)
    """A job that ran at least this long raises a terminal notification when it finishes
    (0 turns it off)."""
    long_job_alert: Literal["auto", "osc9", "osc777", "bell", "off"] = "auto"
    """How: OSC 9 or OSC 777 where the terminal takes them (auto asks the environment),
    else the bell; off for never."""
    prices: dict[str, Annotated[float, Field(ge=0)]] = Field(default_factory=dict)
    confirm_above_usd: float = Field(default=1.0, ge=0)
    """A submit (a batch, or one job) dearer than this asks before sending; unknown prices
    always ask."""
    log_level: str | None = None
    sim: SimConfig = Field(default_factory=SimConfig)

    _sources: dict[str, SettingSource] = PrivateAttr(default_factory=dict)

    @field_validator("api_key", "theme", "log_level", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    @field_validator("prices", mode="before")
    @classmethod
    def _dotted_price_names(cls, value: Any) -> Any:
        return flatten_prices(value) if isinstance(value, dict) else value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str | None) -> str | None:
        if value is None:
            return None
        level = "warning" if value.lower() == "warn" else value.lower()
        if level not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("base_url")
    @classmethod
    def _usable_base_url(cls, value: str, info: ValidationInfo) -> str:
        url = value.strip().rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"must be an http(s) URL such as {DEFAULT_BASE_URL}")
        from lumatui.api.urls import normalise_base_url  # httpx: only when a URL is set

        try:  # the client's own checks (host, port, no credentials or query), said here
            normalise_base_url(url, allow_insecure_http=True)
        except ValueError as exc:
            raise ValueError(
                str(exc).removeprefix("the base URL's ").removeprefix("the base URL ")
            ) from None
        insecure_ok = info.data.get("allow_insecure_http", False)
        if parts.scheme == "http" and not insecure_ok and not is_loopback(parts.hostname):
            raise ValueError(
                "uses plain http, which would send your API key unencrypted; use https, "
                "a loopback address (127.0.0.1, localhost), or set allow_insecure_http = true"
            )
        return url

    @property
    def uses_simulator(self) -> bool:
        """True when no API key is set: lumatui then runs on its built-in simulator."""
        return self.api_key is None

    @property
    def sources(self) -> Mapping[str, SettingSource]:
        """Where each value that is not a default came from, by dotted name (`sim.speed`)."""
        return dict(self._sources)

    def source_of(self, name: str) -> SettingSource:
        """Where the setting `name` (dotted for tables: `sim.speed`) came from."""
        return self._sources.get(name, SettingSource("default"))


def mask_secret(key: str | SecretStr | None) -> str:
    """The key as `luma-api-…wxyz`: the public prefix and the last 4 characters at most."""
    if key is None:
        return "(not set)"
    text = key.get_secret_value() if isinstance(key, SecretStr) else key
    prefix = KEY_PREFIX if text.startswith(KEY_PREFIX) else ""
    rest = text[len(prefix) :]
    return f"{prefix}…{rest[-4:]}" if len(rest) >= 16 else f"{prefix}…"


def load_settings(
    paths: AppPaths | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Settings from overrides, then the environment, then config.toml, then defaults."""
    env = os.environ if environ is None else environ
    paths = app_paths(env) if paths is None else paths
    file_values = read_config_file(paths.config_file)
    env_values, env_names = _environment_values(env)
    merged: dict[str, Any] = {}
    sources: dict[str, SettingSource] = {}
    layers: tuple[tuple[SourceKind, Mapping[str, Any]], ...] = (
        ("file", file_values),
        ("env", env_values),
        ("override", overrides or {}),
    )
    for kind, values in layers:
        for name in _dotted_names(values):
            detail = env_names.get(name, "") if kind == "env" else ""
            sources[name] = SettingSource(kind, detail)
        merged = _merge(merged, values)
    settings = _validate(merged, sources, paths.config_file)
    settings._sources = sources
    return settings


def save_theme(paths: AppPaths, theme: str | None) -> None:
    """Remember the user's Textual theme in config.toml (None forgets it)."""
    update_setting(paths, "theme", theme)


def update_setting(paths: AppPaths, name: str | tuple[str, ...], value: Any) -> None:
    """Set one key of config.toml (`theme`, `sim.speed`, `prices.uni-1.edit`); None removes it.

    Other keys and comments are kept; the file is replaced atomically, 0600 when it holds a key.
    """
    keys = tuple(name.split(".", 1)) if isinstance(name, str) else name
    path = paths.config_file
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    updated = with_value(parse_config(text, path), keys, value)
    _validate(updated, {n: SettingSource("file") for n in _dotted_names(updated)}, path)
    new_text = edit_line(text, keys, value)
    if new_text is None or not means(new_text, updated):
        new_text = dumps_toml(updated)
    target = path.resolve()
    mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o600
    write_atomically(target, new_text, 0o600 if updated.get("api_key") else mode)


def _environment_values(environ: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The settings the environment gives, and the variable each dotted name came from."""
    values: dict[str, Any] = {}
    names: dict[str, str] = {}
    for field in Settings.model_fields:
        if field == "sim":
            for sub in SimConfig.model_fields:
                var = f"{ENV_PREFIX}SIM__{sub.upper()}"
                if environ.get(var, "").strip():
                    values.setdefault("sim", {})[sub] = environ[var]
                    names[f"sim.{sub}"] = var
            continue
        for var in ENV_NAMES.get(field, (f"{ENV_PREFIX}{field.upper()}",)):
            if not environ.get(var, "").strip():
                continue
            value: Any = environ[var]
            if field == "prices":
                value = flatten_prices(_json_object(var, value))
                names.update({f"prices.{entry}": var for entry in value})
            values[field] = value
            names[field] = var
            break
    return values, names


def _json_object(var: str, text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        value = exc
    if not isinstance(value, dict):
        raise ConfigError(
            f'environment variable {var}: must be a JSON object such as {{"uni-1": 0.05}}',
            field=var,
        )
    return value


def _dotted_names(values: Mapping[str, Any]) -> list[str]:
    names: list[str] = []
    for key, value in values.items():
        if key in TABLES and isinstance(value, dict):
            names.extend(f"{key}.{sub}" for sub in value)
        else:
            names.append(key)
    return names


def _merge(base: dict[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def _validate(values: dict[str, Any], sources: Mapping[str, SettingSource], path: Path) -> Settings:
    try:
        return Settings(**values)
    except ValidationError as exc:
        # `from None`: pydantic's own message echoes the input, which may be the key.
        raise _explain(exc, sources, path) from None


def _explain(exc: ValidationError, sources: Mapping[str, SettingSource], path: Path) -> ConfigError:
    """One line per problem, each naming where the bad value came from and the field."""
    lines: list[str] = []
    fields: list[str] = []
    in_file = False
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"])
        fields.append(name)
        source = sources.get(name) or sources.get(name.split(".")[0], SettingSource("default"))
        where = {
            "file": f"{path}",
            "env": f"environment variable {source.detail}",
            "override": "command line",
            "default": "default",
        }[source.kind]
        in_file = in_file or source.kind == "file"
        lines.append(f"{where}: {name}: {_problem(error)}")
    field = fields[0] if fields else None
    return ConfigError("\n".join(lines), path=path if in_file else None, field=field)


def _problem(error: ErrorDetails) -> str:
    if error["type"] == "extra_forbidden":
        return "is not a setting lumatui knows (check the spelling)"
    message = error["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
    secret = error["loc"][:1] == ("api_key",)
    shown = error.get("input")
    if not secret and isinstance(shown, str | int | float | bool):
        message += f" (got {shown!r})"
    return message
