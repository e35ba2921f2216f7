"""config.toml on disk: reading it (refusing a key others can read, as ssh does) and writing
one key of it without a TOML library (other keys and comments kept, atomic, private)."""

from __future__ import annotations

import os
import re
import stat
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

KEY_ENV = "LUMA_AGENTS_API_KEY"


class ConfigError(Exception):
    """The settings cannot be used as they are; the message says where and how to fix it."""

    def __init__(self, message: str, *, path: Path | None = None, field: str | None = None):
        super().__init__(message)
        self.path = path
        self.field = field


def read_config_file(path: Path) -> dict[str, Any]:
    """The parsed file ({} when missing); refuses a key in a file others can read or change.

    Price names written as dotted keys (`uni-1.edit = 0.05`) are joined back into one name.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it: {exc.strerror}", path=path) from None
    try:
        data = parse_config(raw.decode("utf-8"), path)
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not UTF-8 text", path=path) from None
    if data.get("api_key") and os.name != "nt":
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise ConfigError(
                f"{path} holds an API key but its permissions are {mode:04o}, so other users "
                f"can read or change it. Run `chmod 600 {path}` (or move the key to "
                f"{KEY_ENV}) and start again.",
                path=path,
                field="api_key",
            )
    return data


def parse_config(text: str, path: Path) -> dict[str, Any]:
    """The TOML text with price names flattened; a syntax error raises ConfigError."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: is not valid TOML: {exc}", path=path) from None
    if isinstance(data.get("prices"), dict):
        try:
            data["prices"] = flatten_prices(data["prices"])
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}", path=path, field=exc.field) from None
    return data


def means(text: str, data: Mapping[str, Any]) -> bool:
    """True when `text` is valid TOML that reads back as exactly `data`."""
    try:
        return parse_config(text, Path()) == data
    except ConfigError:
        return False


def flatten_prices(prices: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """`[prices]` with TOML's dotted keys (`uni-1.edit = 0.05` nests) joined back into names."""
    flat: dict[str, Any] = {}
    for key, value in prices.items():
        inner = flatten_prices(value, f"{prefix}{key}.") if isinstance(value, dict) else None
        for name, price in (inner or {f"{prefix}{key}": value}).items():
            if name in flat:
                raise ConfigError(f"prices: {name!r} is given twice", field=f"prices.{name}")
            flat[name] = price
    return flat


def with_value(data: Mapping[str, Any], keys: tuple[str, ...], value: Any) -> dict[str, Any]:
    """A copy of `data` with the nested key set to `value` (None removes it, and emptied tables)."""
    updated = dict(data)
    head, rest = keys[0], keys[1:]
    if rest:
        table = updated.get(head)
        inner = with_value(table if isinstance(table, dict) else {}, rest, value)
        if inner:
            updated[head] = inner
        else:
            updated.pop(head, None)
    elif value is None:
        updated.pop(head, None)
    else:
        updated[head] = value
    return updated


def edit_line(text: str, keys: tuple[str, ...], value: Any) -> str | None:
    """`text` with only the key's line changed (comments kept), or None to rewrite the file."""
    if len(keys) > 2:
        return None
    lines = text.splitlines(keepends=True)
    headers = [i for i, line in enumerate(lines) if re.match(r"\s*\[", line)]
    if len(keys) == 1:
        start, end = 0, headers[0] if headers else len(lines)
    else:
        wanted = re.compile(rf"\s*\[\s*{re.escape(toml_key(keys[0]))}\s*\]\s*(#.*)?$")
        found = [i for i in headers if wanted.match(lines[i])]
        if not found:
            if value is None:
                return text
            tail = "" if text.endswith("\n") else "\n"
            table = f"[{toml_key(keys[0])}]\n{toml_key(keys[1])} = {toml_value(value)}\n"
            return f"{text}{tail}\n{table}" if text.strip() else table
        start = found[0] + 1
        end = next((i for i in headers if i > found[0]), len(lines))
    key = re.compile(rf"\s*{re.escape(toml_key(keys[-1]))}\s*=")
    new = [] if value is None else [f"{toml_key(keys[-1])} = {toml_value(value)}\n"]
    for i in range(start, end):
        if key.match(lines[i]):
            return "".join([*lines[:i], *new, *lines[i + 1 :]])
    settled = [i for i in range(start, end) if lines[i].strip() and lines[i].lstrip()[0] != "#"]
    at = settled[-1] + 1 if settled else start
    if at > 0 and not lines[at - 1].endswith("\n"):
        lines[at - 1] += "\n"
    return "".join([*lines[:at], *new, *lines[at:]])


def toml_key(key: str) -> str:
    """A TOML key: bare when it can be, quoted otherwise."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_value(key)


def toml_value(value: Any) -> str:
    """A TOML value for a string, number, boolean, list, or (inline) table."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        escapes = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f"}
        escapes["\r"] = "\\r"
        body = "".join(
            escapes.get(c) or (f"\\u{ord(c):04X}" if ord(c) < 0x20 or ord(c) == 0x7F else c)
            for c in value
        )
        return f'"{body}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        pairs = ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{ " + pairs + " }" if pairs else "{}"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def dumps_toml(data: Mapping[str, Any]) -> str:
    """A TOML document: top-level keys first, then one `[table]` per nested mapping."""
    lines: list[str] = []
    _dump_table(data, (), lines)
    return "\n".join(lines).lstrip("\n") + "\n" if lines else ""


def _dump_table(table: Mapping[str, Any], header: tuple[str, ...], lines: list[str]) -> None:
    scalars = {k: v for k, v in table.items() if not isinstance(v, dict)}
    if header and (scalars or len(scalars) == len(table)):
        lines += ["", "[" + ".".join(toml_key(part) for part in header) + "]"]
    lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in scalars.items()]
    for key, value in table.items():
        if isinstance(value, dict):
            _dump_table(value, (*header, key), lines)


def write_atomically(path: Path, text: str, mode: int) -> None:
    """Replace `path` with `text` in one step, with exactly `mode`."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
