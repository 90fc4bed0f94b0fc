"""Settings: environment, TOML file, and errors that name the setting."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mcp_antigravity.config import (
    ConfigError,
    default_config_path,
    load_settings,
    unknown_environment_names,
)


def test_defaults_follow_the_reference() -> None:
    """The reference's hosts, written out here: comparing with the constants would prove nothing."""
    daily, prod = "https://daily-cloudcode-pa.googleapis.com", "https://cloudcode-pa.googleapis.com"
    settings = load_settings()
    assert settings.endpoints == [daily, prod]  # daily first, and not the legacy sandbox host
    assert settings.effective_discovery_endpoints == [prod, daily]
    assert settings.access_token is None and settings.project is None
    assert re.fullmatch(r"antigravity/hub/2\.9\.1 (linux|darwin|windows)/\w+", settings.effective_user_agent)
    assert settings.transcribe_model == "gemini-3-flash"  # not a retired 2.5 model


def test_environment_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTIGRAVITY_ENDPOINTS", " http://127.0.0.1:9/ , http://localhost:8 ")
    monkeypatch.setenv("ANTIGRAVITY_ACCESS_TOKEN", "tok")
    monkeypatch.setenv("ANTIGRAVITY_PROJECT", "proj")
    monkeypatch.setenv("ANTIGRAVITY_DEFAULT_MODEL", "claude-sonnet-4-6")
    monkeypatch.setenv("ANTIGRAVITY_CLIENT_VERSION", "2.10.3")
    monkeypatch.setenv("ANTIGRAVITY_MAX_RETRIES", "5")
    settings = load_settings()
    assert settings.endpoints == ["http://127.0.0.1:9", "http://localhost:8"]
    assert settings.access_token is not None and settings.access_token.get_secret_value() == "tok"
    assert (settings.project, settings.default_model, settings.max_retries) == (
        "proj",
        "claude-sonnet-4-6",
        5,
    )
    assert settings.effective_user_agent.startswith("antigravity/hub/2.10.3 ")


def test_token_never_appears_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTIGRAVITY_ACCESS_TOKEN", "very-secret-token")
    assert "very-secret-token" not in repr(load_settings()) + str(load_settings())


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("ANTIGRAVITY_ENDPOINTS", "ftp://x", "ANTIGRAVITY_ENDPOINTS"),
        ("ANTIGRAVITY_ENDPOINTS", ",", "ANTIGRAVITY_ENDPOINTS"),
        ("ANTIGRAVITY_MAX_RETRIES", "many", "ANTIGRAVITY_MAX_RETRIES"),
        ("ANTIGRAVITY_REQUEST_DEADLINE", "-1", "ANTIGRAVITY_REQUEST_DEADLINE"),
        ("ANTIGRAVITY_CLIENT_VERSION", "latest", "ANTIGRAVITY_CLIENT_VERSION"),
        ("ANTIGRAVITY_LOG_LEVEL", "chatty", "ANTIGRAVITY_LOG_LEVEL"),
    ],
)
def test_invalid_values_name_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, named: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=named):
        load_settings()


def test_toml_file_and_environment_priority(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('default_model = "gemini-2.5-pro"\nmax_retries = 1\nendpoints = ["http://127.0.0.1:7"]\n')
    monkeypatch.setenv("ANTIGRAVITY_MAX_RETRIES", "4")
    settings = load_settings(path)
    assert settings.default_model == "gemini-2.5-pro" and settings.endpoints == ["http://127.0.0.1:7"]
    assert settings.max_retries == 4  # the environment wins over the file


def test_config_file_from_environment_and_default_location(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    named = tmp_path / "named.toml"
    named.write_text('project = "from-env-file"\n')
    monkeypatch.setenv("ANTIGRAVITY_CONFIG_FILE", str(named))
    assert load_settings().project == "from-env-file"
    monkeypatch.delenv("ANTIGRAVITY_CONFIG_FILE")
    default = default_config_path()
    default.parent.mkdir(parents=True)
    default.write_text('project = "from-default-file"\n')
    assert load_settings().project == "from-default-file"


def test_bad_files_are_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text('project = "unterminated\n')
    with pytest.raises(ConfigError, match=r"Cannot read configuration file .*broken\.toml"):
        load_settings(broken)
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("endpoint = 'http://x'\n")
    with pytest.raises(ConfigError, match=r"'endpoint' in .*unknown\.toml: unknown setting"):
        load_settings(unknown)


def test_misspelled_environment_names_are_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTIGRAVITY_ENDPOINT", "http://x")
    monkeypatch.setenv("ANTIGRAVITY_CONFIG_FILE", "whatever")
    assert unknown_environment_names() == ["ANTIGRAVITY_ENDPOINT"]
