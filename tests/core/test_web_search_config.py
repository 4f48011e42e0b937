"""The web_search keys of config.toml: Codex 0.169's values, and one clear line per bad one."""

from __future__ import annotations

from pathlib import Path

import pytest

from pycodex.config.config import CliOverrides, ConfigError, load_config


def _home(tmp_path: Path, text: str) -> Path:
    home = tmp_path / "home"
    home.mkdir(parents=True)
    (home / "config.toml").write_text(text)
    return home


def test_bad_web_search_values_are_one_line_each(tmp_path: Path) -> None:
    """Bad input tried: an unknown mode in the file, a number for the mode in `-c`, the mode
    string under the older boolean `[tools] web_search`, and "yes" for a feature flag."""
    home = _home(tmp_path, 'web_search = "sometimes"\n[tools]\nweb_search = "live"\n'
                           '[features]\nweb_search_request = "yes"\n')
    cfg = home / "config.toml"
    with pytest.raises(ConfigError) as info:
        load_config(CliOverrides(cwd=tmp_path, raw=["web_search=5"]), home=home, env={})
    assert sorted(str(info.value).splitlines()) == sorted([
        f'config error: tools.web_search in {cfg}: expected a boolean (true or false), found string "live"',
        "config error: web_search in -c web_search=5: expected one of: disabled, cached, indexed, live, "
        "found integer 5",
        f'config error: features.web_search_request in {cfg}: expected a boolean (true or false), '
        'found string "yes"',
    ])


def test_every_codex_mode_is_read(tmp_path: Path) -> None:
    from pycodex.config.web_search import WebSearchMode

    home = _home(tmp_path, "")
    for mode in ("disabled", "cached", "indexed", "live"):
        cfg = load_config(CliOverrides(cwd=tmp_path, raw=[f'web_search="{mode}"']), home=home, env={})
        assert cfg.tools.web_search is WebSearchMode(mode) and not cfg.warnings
    assert load_config(CliOverrides(cwd=tmp_path), home=home, env={}).tools.web_search is None
