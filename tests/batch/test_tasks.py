"""The TASKS.jsonl parser: good lines become specs, every bad line is named by its number."""

from __future__ import annotations

import json

from pycodex.batch.tasks import config_overrides, is_git_url, parse_tasks
from pycodex.config.overrides import parse_override


def _line(**kw: object) -> str:
    return json.dumps(kw)


def test_good_lines_become_specs_in_order() -> None:
    text = "\n".join([
        _line(id="a", prompt="fix it", workspace="repo"),
        "",  # blank lines are skipped, but still counted
        _line(id="b-2.x", prompt="p", workspace="https://example.com/r.git", model="m",
              images=["shot.png"], config={"model_reasoning_effort": "high"}),
    ])
    parsed = parse_tasks(text)
    assert parsed.errors == []
    a, b = parsed.tasks
    assert (a.id, a.prompt, a.workspace, a.line, a.is_url) == ("a", "fix it", "repo", 1, False)
    assert (b.id, b.line, b.model, b.images, b.is_url) == ("b-2.x", 3, "m", ("shot.png",), True)
    assert b.overrides == ('model_reasoning_effort="high"',)
    assert a.digest != b.digest and len(a.digest) == 16


def test_every_bad_line_is_reported_with_its_number() -> None:
    """Bad input: not JSON, not an object, missing id / prompt / workspace, a duplicate id,
    an id that is no folder name, an unknown key, wrong types, a null config value."""
    lines = [
        _line(id="ok", prompt="p", workspace="w"),                 # 1 fine
        "{not json",                                                # 2
        "[1, 2]",                                                   # 3
        _line(prompt="p", workspace="w"),                           # 4 no id
        _line(id="x", workspace="w"),                               # 5 no prompt
        _line(id="y", prompt="p"),                                  # 6 no workspace
        _line(id="ok", prompt="again", workspace="w"),              # 7 duplicate
        _line(id="../up", prompt="p", workspace="w"),               # 8 path in the id
        _line(id="z", prompt="p", workspace="w", promt="typo"),     # 9 unknown key
        _line(id="i", prompt="p", workspace="w", images="a.png"),   # 10 images not a list
        _line(id="c", prompt="p", workspace="w", config={"k": None}),  # 11 null value
        _line(id="n", prompt="   ", workspace="w"),                 # 12 empty prompt
        '{"id": "nan", "prompt": "p", "workspace": "w", "config": {"x": NaN}}',  # 13
    ]
    parsed = parse_tasks("\n".join(lines))
    assert [t.id for t in parsed.tasks] == ["ok"]
    numbers = [line for line, _ in parsed.errors]
    assert numbers == list(range(2, 14)), parsed.errors
    text = "\n".join(f"{line}: {problem}" for line, problem in parsed.errors)
    for needle in ("2: not JSON", "3: a task is a JSON object", '4: missing "id"',
                   '5: missing "prompt"', '6: missing "workspace"',
                   "7: duplicate id 'ok' (first on line 1)", "8: id '../up'",
                   "9: unknown key 'promt'", '10: "images" must be a list',
                   "11: config k: null", '12: "prompt" is empty', "13: NaN is not a JSON number"):
        assert needle in text, (needle, text)
    assert all("\n" not in problem for _, problem in parsed.errors)


def test_an_empty_file_is_an_error() -> None:
    """Bad input: a TASKS file with no task in it."""
    assert parse_tasks("\n\n").errors == [(0, "no tasks (the file is empty)")]


def test_task_config_becomes_overrides_the_config_loader_reads_back() -> None:
    config = {
        "model_reasoning_effort": "high",
        "sandbox_workspace_write": {"network_access": True, "writable_roots": ["/a", "/b"]},
        "projects": {"/x/y.z": {"trust_level": "trusted"}},
        "n": 3, "f": 0.5, "s": 'quote " back \\ slash\n\x7f😀',
        "inline": [{"a": 1}],
    }
    overrides = config_overrides(config)
    parsed = dict((".".join(path), value) for path, value in map(parse_override, overrides))
    assert parsed == {
        "model_reasoning_effort": "high",
        "sandbox_workspace_write.network_access": True,
        "sandbox_workspace_write.writable_roots": ["/a", "/b"],
        "projects./x/y.z.trust_level": "trusted",
        "n": 3, "f": 0.5, "s": 'quote " back \\ slash\n\x7f😀',
        "inline": [{"a": 1}],
    }


def test_git_urls_are_told_from_paths() -> None:
    for url in ("https://github.com/o/r.git", "ssh://git@h/r", "file:///srv/r", "git@github.com:o/r.git"):
        assert is_git_url(url), url
    for path in ("repo", "./repo", "/abs/repo", "~/r", "C-drive:not-a-url"):
        assert not is_git_url(path), path
