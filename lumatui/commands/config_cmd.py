"""`lumatui config`: every setting with its value and where it came from, the key masked."""

from __future__ import annotations

import json
import sys
import unicodedata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

    from lumatui.config import AppPaths, Settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `config` subcommand."""
    from lumatui.commands.common import add_parser

    parser = add_parser(
        subparsers,
        "config",
        help="show the settings in effect and where each came from",
        description="Show every setting, its value and its source (env, file or default), "
        "the files and folders lumatui uses, and whether the simulator will be used. "
        "The API key is always masked.",
        network=False,
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the settings report; exit 3 with the reason when the settings cannot be loaded."""
    # Imported here so that `lumatui --help` does not pay for pydantic.
    from lumatui.commands.common import EXIT_CONFIG
    from lumatui.config import ConfigError, app_paths, load_settings

    paths = app_paths()
    try:
        settings = load_settings(paths)
    except ConfigError as exc:
        print(f"lumatui config: {exc}", file=sys.stderr)
        return EXIT_CONFIG  # a configuration error, as for every other command
    report = config_report(settings, paths)
    if args.json:
        from lumatui.commands.common import json_text

        print(json_text(report))
    else:
        print(render_report(report))
    return 0


def setting_rows(settings: Settings) -> list[tuple[str, Any]]:
    """(dotted name, value shown) for every setting, tables flattened; the key masked."""
    from lumatui.config import mask_secret

    rows: list[tuple[str, Any]] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if name == "api_key":
            rows.append((name, mask_secret(value) if value is not None else None))
        elif name == "sim":
            rows.extend((f"sim.{sub}", v) for sub, v in value.model_dump().items())
        elif name == "prices" and value:
            rows.extend((f"prices.{entry}", price) for entry, price in value.items())
        else:
            rows.append((name, value))
    return rows


def config_report(settings: Settings, paths: AppPaths) -> dict[str, Any]:
    """The settings, their sources, the paths and the simulator choice, as JSON-ready data."""
    entries: dict[str, Any] = {}
    for name, value in setting_rows(settings):
        source = settings.source_of(name)
        entry: dict[str, Any] = {"value": value, "source": source.kind}
        if source.kind == "env":
            entry["variable"] = source.detail
        entries[name] = entry
    return {
        "settings": entries,
        "paths": {
            "config_file": str(paths.config_file),
            "config_file_exists": paths.config_file.is_file(),
            "config_dir": str(paths.config_dir),
            "data_dir": str(paths.data_dir),
            "cache_dir": str(paths.cache_dir),
            "database": str(paths.database),
            "outputs": str(paths.outputs_dir),
            "log_file": str(paths.log_file),
        },
        "uses_simulator": settings.uses_simulator,
    }


def render_report(report: dict[str, Any]) -> str:
    """The report as aligned text for a terminal."""
    settings: dict[str, Any] = report["settings"]
    width = max(len(name) for name in settings)
    lines = ["settings (highest wins: environment, then config file, then defaults)"]
    for name, entry in settings.items():
        source = entry["source"] + (f" {entry['variable']}" if "variable" in entry else "")
        lines.append(f"  {name:<{width}}  {_shown(entry['value']):<30}  {source}")
    paths: dict[str, Any] = report["paths"]
    exists = "" if paths["config_file_exists"] else "  (not created yet)"
    lines += [
        "",
        "paths",
        f"  config file  {_clean(paths['config_file'])}{exists}",
        *(
            f"  {label:<11}  {_clean(paths[key])}"
            for label, key in (
                ("data dir", "data_dir"),
                ("cache dir", "cache_dir"),
                ("database", "database"),
                ("outputs", "outputs"),
                ("log file", "log_file"),
            )
        ),
        "",
    ]
    if report["uses_simulator"]:
        lines.append("simulator: used (no API key set; set LUMA_AGENTS_API_KEY to use Luma's API)")
    else:
        lines.append("simulator: not used (an API key is set)")
    return "\n".join(lines)


def _shown(value: Any) -> str:
    if value is None:
        return "(not set)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value)
    return _clean(str(value))


def _clean(text: str) -> str:
    """Control characters from a file or the environment shown as `?`, never sent to the tty."""
    return "".join("?" if unicodedata.category(c) == "Cc" else c for c in text)
