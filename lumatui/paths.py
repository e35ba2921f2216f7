"""Where lumatui keeps its files: one LUMATUI_HOME folder, or platformdirs' user dirs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

APP_NAME = "lumatui"
HOME_ENV = "LUMATUI_HOME"


@dataclass(frozen=True)
class AppPaths:
    """The three folders lumatui uses and the files inside them."""

    config_dir: Path
    data_dir: Path
    cache_dir: Path

    @property
    def config_file(self) -> Path:
        """The TOML settings file."""
        return self.config_dir / "config.toml"

    @property
    def database(self) -> Path:
        """The SQLite job history."""
        return self.data_dir / "lumatui.db"

    @property
    def file_ids(self) -> Path:
        """Which bytes were uploaded as which file, per API and key (never the key)."""
        return self.data_dir / "files.db"

    @property
    def outputs_dir(self) -> Path:
        """Where downloaded results are kept."""
        return self.data_dir / "outputs"

    @property
    def simulator_dir(self) -> Path:
        """The simulator's own state and media."""
        return self.data_dir / "simulator"

    @property
    def thumbnails_dir(self) -> Path:
        """Thumbnails, which can always be made again."""
        return self.cache_dir / "thumbnails"

    @property
    def crash_dir(self) -> Path:
        """Crash reports."""
        return self.data_dir / "crash"

    @property
    def log_file(self) -> Path:
        """The log file (the terminal belongs to the TUI)."""
        return self.data_dir / "lumatui.log"

    def ensure_dirs(self) -> None:
        """Create the three folders, private to the user, if they are missing."""
        for folder in (self.config_dir, self.data_dir, self.cache_dir):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)


def app_paths(environ: Mapping[str, str] | None = None) -> AppPaths:
    """LUMATUI_HOME's config/, data/ and cache/ when it is set, else platformdirs' user dirs."""
    env = os.environ if environ is None else environ
    home = env.get(HOME_ENV, "").strip()
    if home:
        root = Path(home).expanduser().absolute()
        return AppPaths(root / "config", root / "data", root / "cache")
    return AppPaths(
        config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        cache_dir=Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
    )


def write_private_file(
    folder: Path, names: Callable[[int], str], text: str, *, attempts: int = 100
) -> Path:
    """Write `text` to a new file only the user can read (0600) in `folder` (made 0700).

    `names(n)` is the file name on the n-th try (0 first): a name already taken is never
    overwritten (O_EXCL), the next one is tried instead. FileExistsError when all are taken.
    """
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for attempt in range(attempts):
        path = folder / names(attempt)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            continue
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.chmod(path, 0o600)  # the umask cannot widen it, but make it explicit
        except BaseException:
            path.unlink(missing_ok=True)  # no half-written file left under a taken name
            raise
        return path
    raise FileExistsError(f"no free file name in {folder} after {attempts} tries")
