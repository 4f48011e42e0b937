"""The goal tools' arguments, refused with the texts Codex's JSON decoder (serde_json) gives.

Codex sends a decoding error back to the model as it is, e.g. "unknown variant `x`, expected
one of ... at line 1 column 20", so this decoder reports the same kinds of errors at the same
positions: type errors point at the last character of the offending value, a missing field at
the object's closing brace. Pure: text in, arguments or an ArgsError out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pycodex.protocol.goals import ThreadGoalStatus

I64_MIN, I64_MAX = -(2**63), 2**63 - 1

_WS = " \t\n\r"

# Python's JSON error → serde_json's wording for the same problem.
_SYNTAX = (
    ("Expecting value", "expected value"),
    ("Expecting ',' delimiter", "expected `,` or `}`"),
    ("Expecting ':' delimiter", "expected `:`"),
    ("Expecting property name enclosed in double quotes", "key must be a string"),
    ("Extra data", "trailing characters"),
    ("Unterminated string", "EOF while parsing a string"),
    ("Invalid control character", "control character (\\u0000-\\u001F) found while parsing a string"),
    ("Invalid \\escape", "invalid escape"),
)


class ArgsError(Exception):
    """Arguments that do not decode; the message is what the model reads."""


@dataclass(frozen=True)
class CreateGoalArgs:
    objective: str
    token_budget: int | None = None


@dataclass(frozen=True)
class UpdateGoalArgs:
    status: ThreadGoalStatus


@dataclass(frozen=True)
class _Member:
    key: str
    value: Any
    key_end: int  # index just past the key's closing quote
    start: int  # index of the value's first character
    end: int  # index just past the value


def parse_create_goal(text: str) -> CreateGoalArgs:
    """`{"objective": string, "token_budget"?: integer}`."""
    members, close = _members(text, "CreateGoalRequest")
    objective: str | None = None
    budget: int | None = None
    for m in _unique(text, members, ("objective", "token_budget")):
        if m.key == "objective":
            if not isinstance(m.value, str):
                raise _invalid_type(text, m, "a string")
            objective = m.value
        elif m.key == "token_budget" and m.value is not None:
            budget = _i64(text, m)
    if objective is None:
        raise ArgsError(f"missing field `objective`{_where(text, close)}")
    return CreateGoalArgs(objective, budget)


def parse_update_goal(text: str) -> UpdateGoalArgs:
    """`{"status": "<ThreadGoalStatus>"}` (any status decodes; the handler narrows it)."""
    members, close = _members(text, "UpdateGoalArgs")
    status: ThreadGoalStatus | None = None
    for m in _unique(text, members, ("status",)):
        if m.key != "status":
            continue
        if not isinstance(m.value, str):
            # serde_json decides an enum's form by its first character; anything but a
            # string is refused right there.
            raise ArgsError(f"expected value{_where(text, m.start)}")
        try:
            status = ThreadGoalStatus(m.value)
        except ValueError:
            names = ", ".join(f"`{s.value}`" for s in ThreadGoalStatus)
            raise ArgsError(
                f"unknown variant `{m.value}`, expected one of {names}{_where(text, m.end - 1)}"
            ) from None
    if status is None:
        raise ArgsError(f"missing field `status`{_where(text, close)}")
    return UpdateGoalArgs(status)


def _members(text: str, struct: str) -> tuple[list[_Member], int]:
    """The top-level object's members with their positions, and its closing brace's index."""
    if not text.strip():
        raise ArgsError("EOF while parsing a value at line 1 column 0")
    decoder = json.JSONDecoder(parse_constant=_not_json)
    start = _skip_ws(text, 0)
    _check_ident(text, start)
    try:
        whole, end = decoder.raw_decode(text, start)
        after = _skip_ws(text, end)
        if after != len(text):
            raise json.JSONDecodeError("Extra data", text, after)
    except json.JSONDecodeError as e:
        raise ArgsError(f"{_serde_wording(e.msg)}{_where(text, e.pos)}") from None
    except ValueError:  # NaN / Infinity, which JSON does not have
        raise ArgsError(f"expected value{_where(text, start)}") from None
    if not isinstance(whole, dict):
        raise ArgsError(f"invalid type: {_kind(whole)}, expected struct {struct}{_where(text, end - 1)}")
    # The text is valid JSON: walk it again, noting where each member sits.
    members: list[_Member] = []
    i = start + 1
    while True:
        i = _skip_ws(text, i)
        if text[i] == "}":
            return members, i
        if text[i] == ",":
            i = _skip_ws(text, i + 1)
        key, key_end = decoder.raw_decode(text, i)
        i = _skip_ws(text, _skip_ws(text, key_end) + 1)  # past the colon
        value, value_end = decoder.raw_decode(text, i)
        members.append(_Member(key, value, key_end, i, value_end))
        i = value_end


def _check_ident(text: str, start: int) -> None:
    """serde_json reads a leading n/t/f as null/true/false and stops at the first wrong letter."""
    for literal in ("null", "true", "false"):
        if text.startswith(literal[0], start):
            for offset, ch in enumerate(literal):
                if not text.startswith(ch, start + offset):
                    raise ArgsError(f"expected ident{_where(text, start + offset)}")


def _unique(text: str, members: list[_Member], fields: tuple[str, ...]) -> list[_Member]:
    seen: set[str] = set()
    for m in members:
        if m.key in fields and m.key in seen:
            raise ArgsError(f"duplicate field `{m.key}`{_where(text, m.key_end - 1)}")
        seen.add(m.key)
    return members


def _i64(text: str, m: _Member) -> int:
    v = m.value
    if isinstance(v, bool) or not isinstance(v, int):
        raise _invalid_type(text, m, "i64")
    if not I64_MIN <= v <= I64_MAX:
        raise ArgsError(f"invalid value: integer `{v}`, expected i64{_where(text, m.end - 1)}")
    return v


def _invalid_type(text: str, m: _Member, expected: str) -> ArgsError:
    return ArgsError(f"invalid type: {_kind(m.value)}, expected {expected}{_where(text, m.end - 1)}")


def _kind(v: Any) -> str:
    """A JSON value described as serde_json describes it in type errors."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return f"boolean `{'true' if v else 'false'}`"
    if isinstance(v, int):
        return f"integer `{v}`"
    if isinstance(v, float):
        return f"floating point `{v!r}`"
    if isinstance(v, str):
        return f"string {json.dumps(v, ensure_ascii=False)}"
    if isinstance(v, list):
        return "sequence"
    return "map"


def _where(text: str, index: int) -> str:
    """` at line L column C` for the character at `index` (both 1-based, as serde_json)."""
    index = max(min(index, len(text) - 1), 0)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f" at line {line} column {column}"


def _serde_wording(msg: str) -> str:
    for python, serde in _SYNTAX:
        if msg.startswith(python):
            return serde
    return msg[:1].lower() + msg[1:]


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in _WS:
        i += 1
    return i


def _not_json(name: str) -> Any:
    raise ValueError(name)
