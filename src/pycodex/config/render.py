"""Config problems in words: dotted TOML keys, what was expected and what was found."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from pydantic_core import ErrorDetails

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_MAX_SHOWN = 60

_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "bool_type": "a boolean (true or false)",
    "list_type": "an array",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
}


def dotted_key(loc: tuple[str | int, ...]) -> str:
    """`("model_providers", "my.x", "base_url")` → `model_providers."my.x".base_url`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        seg = part if _BARE_KEY.fullmatch(part) else json.dumps(part)
        out += f".{seg}" if out else seg
    return out


def error_detail(err: ErrorDetails) -> str:
    """`expected …, found …` for one pydantic error on a TOML value."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    found = describe_value(err["input"])
    if kind == "missing":
        return "required, but not set"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, found {found}"
    if kind == "enum":
        return f"expected one of: {ctx['expected']}, found {found}"
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return f"expected one of: {', '.join(choices)}, found {found}"
    for bound, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
        if bound in ctx:
            return f"expected a value {sign} {ctx[bound]}, found {found}"
    if kind == "value_error":
        # A validator's own message (e.g. a base_url without http://) already says it all.
        return str(err["msg"]).removeprefix("Value error, ")
    return f"{err['msg'][:1].lower()}{err['msg'][1:]}, found {found}"


def describe_value(value: Any) -> str:
    """A TOML value with its TOML type: `integer 5`, `string "yes"`, `boolean true`."""
    if isinstance(value, bool):
        return f"boolean {_literal(value)}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"float {value!r}"
    if isinstance(value, str):
        return f"string {_short(_literal(value))}"
    if isinstance(value, list):
        return f"array {_short(_literal(value))}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, dt.date | dt.time):
        return f"datetime {value.isoformat()}"
    return type(value).__name__


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{...}"
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return repr(value)


def _short(text: str) -> str:
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"
