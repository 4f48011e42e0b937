"""Config validation: every bad value is one line naming key, source, expected and found."""

from __future__ import annotations

from pathlib import Path

import pytest

from pycodex.config.config import CliOverrides, ConfigError, load_config


def _home(tmp_path: Path, text: str) -> Path:
    home = tmp_path / "home"
    home.mkdir(parents=True)
    (home / "config.toml").write_text(text)
    return home


def _errors(home: Path, tmp_path: Path, *raw: str, profile: str | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(CliOverrides(cwd=tmp_path, raw=list(raw), profile=profile), home=home, env={})
    return str(info.value).splitlines()


def test_file_type_errors_are_reported_together(tmp_path: Path) -> None:
    """Bad input tried: a string key given an integer, a provider's base_url given an
    integer, a boolean given "yes" and a profile (not even selected) with a bad model."""
    home = _home(tmp_path, """
model = 5
[model_providers.x]
base_url = 5
[sandbox_workspace_write]
network_access = "yes"
[profiles.fast]
model = 7
""")
    cfg = home / "config.toml"
    assert _errors(home, tmp_path) == [
        f"config error: model in {cfg}: expected a string, found integer 5",
        f"config error: model_providers.x.base_url in {cfg}: expected a string, found integer 5",
        f"config error: sandbox_workspace_write.network_access in {cfg}: "
        'expected a boolean (true or false), found string "yes"',
        f"config error: profiles.fast.model in {cfg}: expected a string, found integer 7",
    ]


def test_override_errors_name_the_override(tmp_path: Path) -> None:
    """Bad input tried: `-c approval_policy=sometimes`, `-c sandbox_workspace_write.network_access=yes`
    and `-c model_providers.y.base_url=5`; the file itself is fine."""
    home = _home(tmp_path, 'model = "ok"\n')
    assert _errors(
        home, tmp_path, "approval_policy=sometimes", "sandbox_workspace_write.network_access=yes",
        "model_providers.y.base_url=5",
    ) == [
        "config error: model_providers.y.base_url in -c model_providers.y.base_url=5: "
        "expected a string, found integer 5",
        "config error: approval_policy in -c approval_policy=sometimes: "
        'expected one of: untrusted, on-failure, on-request, never, found string "sometimes"',
        "config error: sandbox_workspace_write.network_access in "
        '-c sandbox_workspace_write.network_access=yes: expected a boolean (true or false), found string "yes"',
    ]


@pytest.mark.parametrize(
    ("toml", "line"),
    [
        ('[model_providers.m]\nbase_url = "http://x"\nrequest_max_retries = "3"\n',
         'model_providers.m.request_max_retries in {cfg}: expected an integer, found string "3"'),
        ('hide_agent_reasoning = "yes"\n',
         'hide_agent_reasoning in {cfg}: expected a boolean (true or false), found string "yes"'),
        ('notify = "say done"\n', 'notify in {cfg}: expected an array, found string "say done"'),
        ("project_doc_max_bytes = -1\n",
         "project_doc_max_bytes in {cfg}: expected a value >= 0, found integer -1"),
        ('[history]\npersistence = "sometimes"\n',
         'history.persistence in {cfg}: expected one of: save-all, none, found string "sometimes"'),
        ('[mcp_servers.docs]\nargs = ["ok", 1]\n',
         "mcp_servers.docs.args[1] in {cfg}: expected a string, found integer 1"),
        ("sandbox_workspace_write = true\n",
         "sandbox_workspace_write in {cfg}: expected a table, found boolean true"),
        ('[model_providers."my.proxy"]\nbase_url = "ftp://x"\n',
         "model_providers.\"my.proxy\".base_url in {cfg}: base_url must start with http:// or https://, got 'ftp://x'"),
    ],
    ids=["int-as-string", "bool-as-string", "array-as-string", "negative-size", "unknown-choice",
         "array-item", "table-as-bool", "non-http-url"],
)
def test_each_bad_value_is_one_exact_line(tmp_path: Path, toml: str, line: str) -> None:
    """Bad input tried: the value in `toml` (a string for an integer or boolean, a scalar for
    an array or table, a negative size, an unknown choice, a base_url that is not http)."""
    home = _home(tmp_path, toml)
    assert _errors(home, tmp_path) == ["config error: " + line.format(cfg=home / "config.toml")]


def test_selected_profile_with_bad_type_and_missing_profile(tmp_path: Path) -> None:
    """Bad input tried: a profile whose approval_policy is an integer, then `-p ghost`."""
    home = _home(tmp_path, "[profiles.fast]\napproval_policy = 3\n")
    cfg = home / "config.toml"
    assert _errors(home, tmp_path, profile="fast") == [
        f"config error: profiles.fast.approval_policy in {cfg}: "
        "expected one of: untrusted, on-failure, on-request, never, found integer 3",
    ]
    assert _errors(home, tmp_path, profile="ghost") == [
        f"config error: profiles.fast.approval_policy in {cfg}: "
        "expected one of: untrusted, on-failure, on-request, never, found integer 3",
        f"config error: profile 'ghost' not found in {cfg}",
    ]


def test_unknown_keys_are_one_warning_and_known_codex_keys_are_silent(tmp_path: Path) -> None:
    """Bad input tried: misspelt keys at the top, in a provider, in a profile and via `-c`."""
    home = _home(tmp_path, """
modle = "typo"
check_for_update_on_startup = false
[tui]
notifications = true
[projects."/src/app"]
trust_level = "trusted"
[features]
plugins = false
[model_providers.mock]
base_url = "http://127.0.0.1:1/v1"
supports_websockets = false
retries = 3
[profiles.fast]
approvals = "never"
""")
    cfg = load_config(CliOverrides(cwd=tmp_path, raw=["sandbox.mode=1"]), home=home, env={})
    assert cfg.warnings == [
        f"config warning: ignoring unknown keys: modle, model_providers.mock.retries, "
        f"profiles.fast.approvals in {home / 'config.toml'}; sandbox in -c sandbox.mode=1"
    ]
    clean = _home(tmp_path / "b", "[tui]\nx = 1\n")
    assert load_config(CliOverrides(cwd=tmp_path), home=clean, env={}).warnings == []


def test_typed_values_reach_config_and_overrides_reach_profiles(tmp_path: Path) -> None:
    """`-c profiles.fast.model=...` changes the profile before it is applied, as in Codex."""
    home = _home(tmp_path, """
model_provider = "mock"
notify = ["notify-send", "done"]
project_doc_max_bytes = 0
[history]
persistence = "none"
max_bytes = 1000
[tools]
view_image = false
update_plan = { enabled = false }
[features]
shell_snapshot = false
[mcp_servers.docs]
command = "docs-server"
args = ["--stdio"]
startup_timeout_ms = 2500
[model_providers.mock]
base_url = "http://127.0.0.1:1/v1"
wire_api = "responses"
stream_max_retries = 1
[profiles.fast]
model = "from-profile"
sandbox_mode = "workspace-write"
[profiles.fast.sandbox_workspace_write]
writable_roots = ["/srv/out"]
""")
    cfg = load_config(
        CliOverrides(cwd=tmp_path, profile="fast", raw=['profiles.fast.model="from-c"']),
        home=home, env={},
    )
    assert cfg.model == "from-c"
    assert cfg.model_provider.name == "mock" and cfg.model_provider.stream_max_retries == 1
    assert cfg.sandbox_policy.type == "workspace-write"
    assert cfg.sandbox_policy.writable_roots == [Path("/srv/out")]
    assert cfg.notify == ["notify-send", "done"] and cfg.project_doc_max_bytes == 0
    assert (cfg.history.persistence, cfg.history.max_bytes) == ("none", 1000)
    assert not cfg.tools.view_image and not cfg.tools.plan and not cfg.shell_snapshot
    docs = cfg.mcp_servers["docs"]
    assert (docs.command, docs.args, docs.startup_timeout_sec) == ("docs-server", ["--stdio"], 2.5)
    assert cfg.warnings == []


def test_unreadable_config_file_is_one_line(tmp_path: Path) -> None:
    """Bad input tried: config.toml that is a directory, then one that is not UTF-8."""
    home = tmp_path / "home"
    (home / "config.toml").mkdir(parents=True)
    assert _errors(home, tmp_path) == [
        f"config error: cannot read {home / 'config.toml'}: Is a directory"
    ]
    (home / "config.toml").rmdir()
    (home / "config.toml").write_bytes(b'model = "\xff"\n')
    [line] = _errors(home, tmp_path)
    assert line.startswith(f"config error: {home / 'config.toml'}: invalid TOML")


def test_home_that_is_a_file_is_one_line(tmp_path: Path) -> None:
    """Bad input tried: PYCODEX_HOME naming a regular file."""
    home = tmp_path / "home"
    home.write_text("not a directory")
    assert _errors(home, tmp_path) == [
        f"pycodex home {home} is not a directory (set PYCODEX_HOME to use another directory)"
    ]
