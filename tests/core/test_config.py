"""Config: file, profile, -c overrides, flags; bad values are clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from pycodex.config.config import CliOverrides, ConfigError, load_config
from pycodex.config.overrides import ConfigOverrideError, parse_override
from pycodex.protocol.policies import AskForApproval, SandboxMode, WorkspaceWrite


def _home(tmp_path: Path, text: str) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text(text)
    return home


def test_parse_override_toml_value_and_fallback_string() -> None:
    assert parse_override("a.b=1") == (["a", "b"], 1)
    assert parse_override('model="gpt-5.5"') == (["model"], "gpt-5.5")
    assert parse_override("model=gpt-5.5") == (["model"], "gpt-5.5")
    assert parse_override('projects."/a/b.c".trust=true') == (["projects", "/a/b.c", "trust"], True)


def test_parse_override_without_equals_is_an_error() -> None:
    """Bad input tried: `-c model` with no value."""
    with pytest.raises(ConfigOverrideError):
        parse_override("model")


def test_precedence_file_profile_override_flag(tmp_path: Path) -> None:
    home = _home(tmp_path, '''
model = "from-file"
approval_policy = "on-failure"
sandbox_mode = "workspace-write"
unknown_key_from_newer_codex = 3
[sandbox_workspace_write]
network_access = true
[profiles.fast]
model = "from-profile"
[model_providers.mock]
name = "mock"
base_url = "http://127.0.0.1:1/v1"
wire_api = "responses"
env_key = "MOCK_KEY"
''')
    cfg = load_config(CliOverrides(profile="fast", cwd=tmp_path), home=home, env={})
    assert cfg.model == "from-profile"
    assert cfg.approval_policy is AskForApproval.ON_FAILURE
    assert isinstance(cfg.sandbox_policy, WorkspaceWrite) and cfg.sandbox_policy.network_access
    cfg = load_config(CliOverrides(raw=['model="over"', "model_provider=mock"], cwd=tmp_path), home=home, env={})
    assert cfg.model == "over" and cfg.model_provider.base_url == "http://127.0.0.1:1/v1"
    cfg = load_config(
        CliOverrides(model="flag", raw=['model="over"'], sandbox_mode=SandboxMode.READ_ONLY, cwd=tmp_path),
        home=home, env={},
    )
    assert cfg.model == "flag" and cfg.sandbox_policy.type == "read-only"


def test_invalid_enum_value_names_allowed_values(tmp_path: Path) -> None:
    """Bad input tried: approval_policy = "sometimes"."""
    home = _home(tmp_path, 'approval_policy = "sometimes"\n')
    with pytest.raises(ConfigError, match="on-request"):
        load_config(CliOverrides(cwd=tmp_path), home=home, env={})


def test_invalid_toml_is_a_clear_error(tmp_path: Path) -> None:
    """Bad input tried: a config.toml that is not TOML."""
    home = _home(tmp_path, "model = \n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(CliOverrides(cwd=tmp_path), home=home, env={})


def test_unknown_provider_is_a_clear_error(tmp_path: Path) -> None:
    """Bad input tried: model_provider that is not defined."""
    home = _home(tmp_path, 'model_provider = "nope"\n')
    with pytest.raises(ConfigError, match=r"model_providers\.nope"):
        load_config(CliOverrides(cwd=tmp_path), home=home, env={})


def test_missing_profile_is_a_clear_error(tmp_path: Path) -> None:
    home = _home(tmp_path, "")
    with pytest.raises(ConfigError, match="profile"):
        load_config(CliOverrides(profile="ghost", cwd=tmp_path), home=home, env={})
