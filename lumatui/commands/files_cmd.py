"""`lumatui files upload|list|get|rm`: the Files API from the command line.

Uploads are not generations: nothing is charged. A file uploaded here is remembered by its
content, so a later `--source PATH` with the same bytes reuses it instead of uploading
again. `file:ID` names an uploaded file in any reference flag of `lumatui submit`.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from lumatui.api.enums import FilePurpose, FileState
from lumatui.commands.common import (
    CommandError,
    add_parser,
    load_settings_for,
    print_json,
    run_command,
    warn,
)

if TYPE_CHECKING:
    import argparse
    from collections.abc import Awaitable, Callable

    from lumatui.api.files import FileObject
    from lumatui.engine.file_library import FileLibrary


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `files` and its verbs."""
    parser = add_parser(
        subparsers,
        "files",
        help="upload, list, show and delete files for use as references (file:ID)",
        description=(
            "Upload local images and videos to the Files API and manage them. An uploaded "
            "file is referenced as file:ID in --source, --image-ref, --start-frame, "
            "--end-frame and --keyframe. Uploads cost nothing. Without a key this is the "
            "simulator's Files API."
        ),
        network=True,
    )
    verbs = parser.add_subparsers(dest="files_verb", metavar="VERB", required=True)
    upload = _verb(verbs, "upload", "upload files; prints each file id")
    upload.add_argument("paths", nargs="+", metavar="PATH", help="image or video files")
    upload.add_argument("--purpose", choices=[str(p) for p in FilePurpose], default=None)
    listing = _verb(verbs, "list", "list files, newest first")
    listing.add_argument("--state", choices=[str(s) for s in FileState], default=None)
    listing.add_argument("--purpose", choices=[str(p) for p in FilePurpose], default=None)
    listing.add_argument("--limit", type=int, default=100, metavar="N", help="at most N files")
    get = _verb(verbs, "get", "show one file")
    get.add_argument("id", metavar="ID")
    remove = _verb(verbs, "rm", "delete files (they can no longer be referenced)")
    remove.add_argument("ids", nargs="+", metavar="ID")
    parser.set_defaults(handler=run)


def _verb(
    verbs: argparse._SubParsersAction[argparse.ArgumentParser], name: str, text: str
) -> argparse.ArgumentParser:
    """One verb of `files`, built like every subcommand (its help ends with the exit codes)."""
    return add_parser(
        verbs, name, help=text, description=text[0].upper() + text[1:] + ".", network=False
    )


def run(args: argparse.Namespace) -> int:
    """Run one verb; returns the exit code."""
    json_mode = bool(getattr(args, "json", False))
    verbs: dict[str, Callable[[FileLibrary, argparse.Namespace], Awaitable[int]]] = {
        "upload": _upload,
        "list": _list,
        "get": _get,
        "rm": _remove,
    }
    work = verbs[args.files_verb]
    return run_command(
        f"files {args.files_verb}",
        lambda: asyncio.run(_with_library(args, work)),
        json_mode=json_mode,
    )


async def _with_library(
    args: argparse.Namespace, work: Callable[[FileLibrary, argparse.Namespace], Awaitable[int]]
) -> int:
    from lumatui.backend import open_backend
    from lumatui.commands.common import announce_backend
    from lumatui.commands.uploading import open_uploader
    from lumatui.engine.file_library import FileLibrary

    settings, paths = load_settings_for(args)
    backend = open_backend(settings, paths, force_simulator=bool(getattr(args, "sim", False)))
    try:
        announce_backend(args, settings, backend)
        return await work(FileLibrary(open_uploader(backend, paths, settings)), args)
    finally:
        await backend.aclose()


async def _upload(library: FileLibrary, args: argparse.Namespace) -> int:
    from lumatui.api.upload import FilesUnsupported
    from lumatui.commands.uploading import ProgressLine
    from lumatui.engine.local_refs import LocalRefError

    done: list[FileObject] = []
    for path in args.paths:
        try:
            file = await library.upload(
                path,
                purpose=FilePurpose(args.purpose) if args.purpose else None,
                on_progress=ProgressLine(path),
            )
        except LocalRefError as exc:
            raise CommandError(str(exc)) from None
        except FilesUnsupported as exc:
            raise CommandError(str(exc), 4) from None
        done.append(file)
        if not args.json:
            print(file.id, flush=True)
    if args.json:
        print_json([file_record(f) for f in done])
    return 0


async def _list(library: FileLibrary, args: argparse.Namespace) -> int:
    if not 1 <= args.limit <= 10_000:
        raise CommandError("--limit must be between 1 and 10000")
    found = await library.list_files(state=args.state, purpose=args.purpose, limit=args.limit)
    if args.json:
        print_json([file_record(f) for f in found])
    else:
        if not found:
            warn("lumatui: no files")
        for file in found:
            print(file_line(file), flush=True)
    return 0


async def _get(library: FileLibrary, args: argparse.Namespace) -> int:
    file = await library.get(_file_id(args.id))
    if args.json:
        print_json(file_record(file))
    else:
        for name, value in file_record(file).items():
            if value is not None:
                print(f"{name:<15} {value}")
    return 0


async def _remove(library: FileLibrary, args: argparse.Namespace) -> int:
    removed = []
    for text in args.ids:
        file_id = _file_id(text)
        await library.delete(file_id)
        removed.append(file_id)
        if not args.json:
            warn(f"lumatui: deleted {file_id}")
    if args.json:
        print_json({"deleted": removed})
    return 0


def _file_id(text: str) -> str:
    import uuid

    from lumatui.api.text import clean_text

    try:
        return str(uuid.UUID(text.strip().removeprefix("file:")))
    except ValueError:
        raise CommandError(f"not a file id: {clean_text(text, 60)!r} (a UUID)") from None


def file_record(file: FileObject) -> dict[str, Any]:
    """A file as a JSON object (the API's fields, server text already cleaned)."""
    return file.model_dump(mode="json", exclude_none=False)


def file_line(file: FileObject) -> str:
    """`id  state  purpose  size  mime  name`, one line for a person."""
    from lumatui.api.text import clean_text
    from lumatui.engine.uploads import size_text

    name = clean_text(file.filename or "", 60)
    return (
        f"{file.id}  {file.state!s:<8} {file.purpose!s:<9} {size_text(file.size_bytes):>8}  "
        f"{clean_text(file.mime_type, 30):<12} {name}"
    ).rstrip()
