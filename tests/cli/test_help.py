"""Every subcommand is built by `common.add_parser`, so every help ends with the exit codes."""

from __future__ import annotations

import argparse

from lumatui.cli import build_parser
from lumatui.commands.common import EXIT_CODES, EXIT_CODES_TEXT


def subcommands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every subcommand parser under `parser` (verbs of verbs too), with its command words."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append(((*path, name), sub))
                found.extend(subcommands(sub, (*path, name)))
    return found


def test_every_subcommand_help_ends_with_the_exit_codes() -> None:
    found = subcommands(build_parser())
    names = {" ".join(words) for words, _ in found}
    assert {"config", "doctor", "sim", "submit", "list", "files upload"} <= names
    for words, parser in found:
        text = parser.format_help()
        assert text.rstrip().endswith(EXIT_CODES_TEXT), " ".join(words)


def test_the_exit_code_table_is_one_line_per_code() -> None:
    codes = [code for code, _ in EXIT_CODES]
    assert codes == sorted(set(codes))
    lines = EXIT_CODES_TEXT.splitlines()[1:]
    assert [int(line.split()[0]) for line in lines] == codes


def test_the_readme_documents_the_same_codes() -> None:
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("| exit code | meaning |", 1)[1].split("\n\n", 1)[0]
    documented = [int(code) for code in re.findall(r"^\| (\d+) \|", table, flags=re.M)]
    assert documented == [code for code, _ in EXIT_CODES]
