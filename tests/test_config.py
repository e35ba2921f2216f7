"""Settings, paths, the key-file permission rule, `lumatui config`, theme saving, log redaction."""

from __future__ import annotations

import json
import logging
import os
import re
import stat
from typing import TYPE_CHECKING

import platformdirs
import pytest

from lumatui.config import (
    DEFAULT_BASE_URL,
    AppPaths,
    ConfigError,
    Settings,
    app_paths,
    load_settings,
    mask_secret,
    save_theme,
    update_setting,
)
from lumatui.logs import RedactingFilter, configure_logging, redact

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

KEY = "luma-api-0123456789abcdefSECRETtail"
posix_only = pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")


@pytest.fixture
def paths() -> AppPaths:
    """The LUMATUI_HOME layout the conftest set up, with its folders created."""
    found = app_paths()
    found.ensure_dirs()
    return found


def write_config(paths: AppPaths, text: str, mode: int = 0o600) -> Path:
    """Write config.toml with exactly `mode`."""
    paths.config_file.write_text(text, encoding="utf-8")
    os.chmod(paths.config_file, mode)
    return paths.config_file


def file_mode(path: Path) -> int:
    """The permission bits of `path`."""
    return stat.S_IMODE(path.stat().st_mode)


# --- paths -------------------------------------------------------------------------------


def test_lumatui_home_holds_everything(isolated_home: Path) -> None:
    found = app_paths()
    assert found.config_dir == isolated_home / "config"
    assert found.data_dir == isolated_home / "data"
    assert found.cache_dir == isolated_home / "cache"
    assert found.config_file == isolated_home / "config" / "config.toml"
    assert found.database == isolated_home / "data" / "lumatui.db"
    assert found.outputs_dir == isolated_home / "data" / "outputs"
    assert found.simulator_dir == isolated_home / "data" / "simulator"
    assert found.thumbnails_dir == isolated_home / "cache" / "thumbnails"
    assert found.crash_dir == isolated_home / "data" / "crash"
    assert found.log_file == isolated_home / "data" / "lumatui.log"


def test_explicit_environ_wins_over_process_environment(tmp_path: Path) -> None:
    assert app_paths({"LUMATUI_HOME": str(tmp_path / "x")}).data_dir == tmp_path / "x" / "data"


def test_platformdirs_used_without_lumatui_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LUMATUI_HOME")
    calls: list[str] = []

    def fake(kind: str) -> object:
        def lookup(appname: str, appauthor: object = None) -> str:
            calls.append(appname)
            return str(tmp_path / kind)

        return lookup

    monkeypatch.setattr(platformdirs, "user_config_dir", fake("conf"))
    monkeypatch.setattr(platformdirs, "user_data_dir", fake("data"))
    monkeypatch.setattr(platformdirs, "user_cache_dir", fake("cache"))
    found = app_paths()
    assert found == AppPaths(tmp_path / "conf", tmp_path / "data", tmp_path / "cache")
    assert calls == ["lumatui"] * 3


def test_ensure_dirs_creates_private_folders(paths: AppPaths) -> None:
    for folder in (paths.config_dir, paths.data_dir, paths.cache_dir):
        assert folder.is_dir()


# --- sources -----------------------------------------------------------------------------


def test_defaults_without_file_or_environment(paths: AppPaths) -> None:
    settings = load_settings(paths, {})
    assert settings.api_key is None
    assert settings.uses_simulator
    assert settings.base_url == DEFAULT_BASE_URL
    assert (settings.connect_timeout, settings.read_timeout) == (5.0, 60.0)
    assert settings.poll_rate_limit == 5.0
    assert settings.theme is None
    assert settings.bell is False
    assert settings.prices == {}
    assert settings.log_level is None
    assert settings.sim.speed == 1.0
    assert settings.sim.requests_per_minute == 60
    assert settings.sim.concurrent_jobs == 10
    assert settings.sim.balance_usd == 1000.0
    assert settings.sim.seed is None
    assert str(settings.source_of("read_timeout")) == "default"


def test_environment_beats_file_beats_default(paths: AppPaths) -> None:
    write_config(paths, "read_timeout = 30\nconnect_timeout = 2\n[sim]\nspeed = 4\nseed = 7\n")
    env = {"LUMATUI_READ_TIMEOUT": "90", "LUMATUI_SIM__SEED": "9"}
    settings = load_settings(paths, env)
    assert settings.read_timeout == 90.0
    assert settings.connect_timeout == 2.0
    assert settings.poll_rate_limit == 5.0
    assert (settings.sim.speed, settings.sim.seed) == (4.0, 9)
    assert settings.source_of("read_timeout").kind == "env"
    assert settings.source_of("read_timeout").detail == "LUMATUI_READ_TIMEOUT"
    assert settings.source_of("connect_timeout").kind == "file"
    assert settings.source_of("sim.speed").kind == "file"
    assert settings.source_of("sim.seed").kind == "env"
    assert settings.source_of("poll_rate_limit").kind == "default"


def test_overrides_beat_environment(paths: AppPaths) -> None:
    settings = load_settings(paths, {"LUMA_BASE_URL": "https://a.example/v1"}, {"bell": True})
    assert settings.base_url == "https://a.example/v1"
    assert settings.bell is True
    assert settings.source_of("bell").kind == "override"


def test_process_environment_is_read_by_default(
    paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LUMATUI_BELL", "true")
    assert load_settings().bell is True


def test_luma_variables_are_honoured(paths: AppPaths) -> None:
    env = {"LUMA_AGENTS_API_KEY": KEY, "LUMA_BASE_URL": "https://proxy.example/v1/"}
    settings = load_settings(paths, env)
    assert settings.api_key is not None
    assert settings.api_key.get_secret_value() == KEY
    assert not settings.uses_simulator
    assert settings.base_url == "https://proxy.example/v1"
    assert settings.source_of("api_key").detail == "LUMA_AGENTS_API_KEY"


def test_blank_key_means_simulator(paths: AppPaths) -> None:
    assert load_settings(paths, {"LUMA_AGENTS_API_KEY": "  "}).uses_simulator


def test_log_level_from_lumatui_log(paths: AppPaths) -> None:
    assert load_settings(paths, {"LUMATUI_LOG": "DEBUG"}).log_level == "debug"
    with pytest.raises(ConfigError, match="LUMATUI_LOG: log_level: must be one of debug"):
        load_settings(paths, {"LUMATUI_LOG": "loud"})


def test_prices_table_with_quoted_or_dotted_names(paths: AppPaths) -> None:
    write_config(paths, '[prices]\n"ray-3.2.video.720p" = 0.35\nuni-1.edit = 0.05\n')
    settings = load_settings(paths, {})
    assert settings.prices == {"ray-3.2.video.720p": 0.35, "uni-1.edit": 0.05}
    assert settings.source_of("prices.uni-1.edit").kind == "file"
    env = {"LUMATUI_PRICES": '{"uni-1.edit": 0.07}'}
    assert load_settings(paths, env).prices["uni-1.edit"] == 0.07


def test_plain_http_refused_unless_loopback_or_allowed(paths: AppPaths) -> None:
    with pytest.raises(ConfigError, match="LUMA_BASE_URL: base_url: uses plain http"):
        load_settings(paths, {"LUMA_BASE_URL": "http://api.example/v1"})
    loopback = load_settings(paths, {"LUMA_BASE_URL": "http://127.0.0.1:8765/v1"})
    assert loopback.base_url == "http://127.0.0.1:8765/v1"
    allowed = {"LUMA_BASE_URL": "http://api.example/v1", "LUMATUI_ALLOW_INSECURE_HTTP": "1"}
    assert load_settings(paths, allowed).base_url == "http://api.example/v1"


# --- errors ------------------------------------------------------------------------------


def test_bad_toml_names_the_file(paths: AppPaths) -> None:
    path = write_config(paths, "read_timeout = = 3\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(paths, {})
    assert str(path) in str(caught.value)
    assert "not valid TOML" in str(caught.value)
    assert "line 1" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "field", "problem"),
    [
        ("read_timeout = -1\n", "read_timeout", "must be greater than 0 (got -1)"),
        ("connect_timeout = 0\n", "connect_timeout", "must be greater than 0"),
        ("poll_rate_limit = 0\n", "poll_rate_limit", "must be greater than 0"),
        ('bell = "maybe"\n', "bell", "must be a valid boolean"),
        ("[sim]\nspeed = 0\n", "sim.speed", "must be greater than 0"),
        ("[sim]\nconcurrent_jobs = 0\n", "sim.concurrent_jobs", "must be greater than or equal"),
        ("[prices]\nuni-1.edit = -2\n", "prices.uni-1.edit", "must be greater than or equal"),
        ('base_url = "ftp://x"\n', "base_url", "must be an http(s) URL"),
        ('base_uri = "https://x"\n', "base_uri", "is not a setting lumatui knows"),
    ],
)
def test_bad_value_names_file_and_field(
    paths: AppPaths, text: str, field: str, problem: str
) -> None:
    path = write_config(paths, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(paths, {})
    assert f"{path}: {field}: {problem}" in str(caught.value)
    assert caught.value.field == field
    assert caught.value.path == path


def test_bad_environment_value_names_the_variable(paths: AppPaths) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(paths, {"LUMATUI_READ_TIMEOUT": "soon"})
    message = "environment variable LUMATUI_READ_TIMEOUT: read_timeout: must be a valid number"
    assert str(caught.value).startswith(message)
    assert "(got 'soon')" in str(caught.value)
    assert caught.value.path is None


def test_bad_override_names_the_command_line(paths: AppPaths) -> None:
    with pytest.raises(ConfigError, match="command line: base_url: must be an http"):
        load_settings(paths, {}, {"base_url": "nowhere"})


def test_prices_from_environment_must_be_a_json_object(paths: AppPaths) -> None:
    with pytest.raises(ConfigError, match="LUMATUI_PRICES: must be a JSON object"):
        load_settings(paths, {"LUMATUI_PRICES": "[1]"})


def test_a_price_given_twice_is_refused(paths: AppPaths) -> None:
    write_config(paths, '[prices]\n"uni-1.edit" = 0.1\nuni-1.edit = 0.2\n')
    with pytest.raises(ConfigError, match=re.escape("'uni-1.edit' is given twice")) as caught:
        load_settings(paths, {})
    assert caught.value.path == paths.config_file


def test_bad_key_value_is_not_echoed(paths: AppPaths) -> None:
    write_config(paths, "api_key = [1, 2]\n")
    with pytest.raises(ConfigError, match="api_key") as caught:
        load_settings(paths, {})
    assert "[1, 2]" not in str(caught.value)
    assert caught.value.__cause__ is None


# --- the key file --------------------------------------------------------------------------


@posix_only
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o602])
def test_key_in_file_others_can_reach_is_refused(paths: AppPaths, mode: int) -> None:
    path = write_config(paths, f'api_key = "{KEY}"\n', mode)
    with pytest.raises(ConfigError) as caught:
        load_settings(paths, {})
    message = str(caught.value)
    assert str(path) in message
    assert f"{mode:04o}" in message
    assert f"chmod 600 {path}" in message
    assert KEY not in message


@posix_only
def test_key_in_private_file_is_accepted(paths: AppPaths) -> None:
    write_config(paths, f'api_key = "{KEY}"\n', 0o600)
    settings = load_settings(paths, {})
    assert settings.api_key is not None
    assert settings.api_key.get_secret_value() == KEY
    assert settings.source_of("api_key").kind == "file"


@posix_only
def test_keyless_file_may_be_world_readable(paths: AppPaths) -> None:
    write_config(paths, 'theme = "nord"\n', 0o644)
    assert load_settings(paths, {}).theme == "nord"


# --- the key stays hidden ------------------------------------------------------------------


def test_key_absent_from_repr_str_and_dumps() -> None:
    settings = Settings(api_key=KEY)
    for text in (repr(settings), str(settings), settings.model_dump_json()):
        assert KEY not in text
    assert KEY not in str(settings.model_dump())
    assert KEY not in json.dumps(settings.model_dump(mode="json"))


@pytest.mark.parametrize(
    ("key", "shown"),
    [
        (KEY, "luma-api-…tail"),
        ("luma-api-short", "luma-api-…"),
        ("x" * 40, "…xxxx"),
        ("abc", "…"),
        (None, "(not set)"),
    ],
)
def test_mask_secret(key: str | None, shown: str) -> None:
    assert mask_secret(key) == shown


# --- saving the theme ----------------------------------------------------------------------


def test_theme_saved_and_reloaded(paths: AppPaths) -> None:
    save_theme(paths, "gruvbox")
    assert load_settings(paths, {}).theme == "gruvbox"
    save_theme(paths, None)
    assert load_settings(paths, {}).theme is None


def test_theme_save_keeps_other_keys_and_comments(paths: AppPaths) -> None:
    original = '# mine\ntheme = "nord"\nbell = true  # ding\n\n# knobs\n[sim]\nspeed = 3\n'
    write_config(paths, original, 0o644)
    save_theme(paths, "dracula")
    text = paths.config_file.read_text(encoding="utf-8")
    assert text == original.replace('"nord"', '"dracula"')
    settings = load_settings(paths, {})
    assert (settings.theme, settings.bell, settings.sim.speed) == ("dracula", True, 3.0)
    assert file_mode(paths.config_file) == 0o644 or os.name == "nt"


def test_new_key_goes_before_the_first_table(paths: AppPaths) -> None:
    write_config(paths, "bell = true\n\n[sim]\nspeed = 2\n")
    save_theme(paths, 'odd "name"\\')
    assert load_settings(paths, {}).theme == 'odd "name"\\'
    assert paths.config_file.read_text(encoding="utf-8").index("theme") < 20


@posix_only
def test_saving_a_file_with_a_key_makes_it_private(paths: AppPaths) -> None:
    write_config(paths, f'api_key = "{KEY}"\n', 0o600)
    save_theme(paths, "nord")
    assert file_mode(paths.config_file) == 0o600
    settings = load_settings(paths, {})
    assert settings.theme == "nord"
    assert settings.api_key is not None


@posix_only
def test_new_file_is_private(paths: AppPaths) -> None:
    save_theme(paths, "nord")
    assert file_mode(paths.config_file) == 0o600


def test_update_setting_tables_and_prices(paths: AppPaths) -> None:
    update_setting(paths, "sim.speed", 50.0)
    update_setting(paths, "prices.ray-3.2.video.720p", 0.4)
    update_setting(paths, "bell", True)
    settings = load_settings(paths, {})
    assert settings.sim.speed == 50.0
    assert settings.prices == {"ray-3.2.video.720p": 0.4}
    assert settings.bell is True
    update_setting(paths, "prices.ray-3.2.video.720p", None)
    assert "prices" not in paths.config_file.read_text(encoding="utf-8")


def test_update_setting_refuses_a_bad_value(paths: AppPaths) -> None:
    with pytest.raises(ConfigError, match="read_timeout: must be greater than 0"):
        update_setting(paths, "read_timeout", -5)
    assert not paths.config_file.exists()


def test_unusual_layout_is_rewritten_correctly(paths: AppPaths) -> None:
    write_config(paths, 'sim.speed = 2\ntheme = """\nmulti"""\n')
    save_theme(paths, "nord")
    settings = load_settings(paths, {})
    assert (settings.theme, settings.sim.speed) == ("nord", 2.0)


# --- logging -------------------------------------------------------------------------------


@pytest.fixture
def root_logging() -> Iterator[None]:
    """Restore the root logger's handlers and level after a test that configures logging."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)


def test_redact_removes_key_and_bearer_tokens() -> None:
    text = f"key={KEY} header=Authorization: Bearer abc.def-123 other luma-api-zzzzzzzz"
    cleaned = redact(text, [KEY])
    assert KEY not in cleaned
    assert "abc.def-123" not in cleaned
    assert "luma-api-zzzzzzzz" not in cleaned
    assert "Bearer [redacted]" in cleaned


def test_filter_redacts_message_args_and_traceback() -> None:
    record = logging.LogRecord("lumatui.api", logging.INFO, __file__, 1, "sent %s", (KEY,), None)
    assert RedactingFilter(["unrelated-secret"]).filter(record)
    assert KEY not in record.getMessage()
    try:
        raise RuntimeError(f"boom {KEY}")
    except RuntimeError:
        import sys

        exc_record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    RedactingFilter([KEY]).filter(exc_record)
    assert exc_record.exc_text is not None
    assert KEY not in exc_record.exc_text


@pytest.mark.usefixtures("root_logging")
def test_configure_logging_writes_redacted_debug_to_file(paths: AppPaths) -> None:
    settings = load_settings(paths, {"LUMA_AGENTS_API_KEY": KEY, "LUMATUI_LOG": "debug"})
    configure_logging(settings, paths)
    handler = configure_logging(settings, paths)  # idempotent: one handler, not two
    assert [type(h) for h in logging.getLogger().handlers].count(type(handler)) == 1
    logging.getLogger("lumatui.test").debug("Authorization: Bearer %s key=%s", KEY, KEY)
    handler.flush()
    text = paths.log_file.read_text(encoding="utf-8")
    assert "Authorization: Bearer [redacted]" in text
    assert KEY not in text
    if os.name != "nt":
        assert file_mode(paths.log_file) == 0o600


@pytest.mark.usefixtures("root_logging")
def test_without_lumatui_log_only_warnings_are_written(paths: AppPaths) -> None:
    handler = configure_logging(load_settings(paths, {}), paths)
    logging.getLogger("lumatui.test").info("quiet detail")
    logging.getLogger("lumatui.test").warning("loud problem")
    handler.flush()
    text = paths.log_file.read_text(encoding="utf-8")
    assert "loud problem" in text
    assert "quiet detail" not in text


def test_the_long_job_alert_is_set_from_the_environment_or_off() -> None:
    from lumatui.config import app_paths

    paths = app_paths()
    settings = load_settings(
        paths, {"LUMATUI_LONG_JOB_ALERT_S": "45", "LUMATUI_LONG_JOB_ALERT": "osc777"}
    )
    assert (settings.long_job_alert_s, settings.long_job_alert) == (45.0, "osc777")
    assert load_settings(paths, {}).long_job_alert_s == 20.0
    with pytest.raises(ConfigError, match="long_job_alert"):
        load_settings(paths, {"LUMATUI_LONG_JOB_ALERT": "loud"})
