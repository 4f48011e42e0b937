"""Codex's v2 app-server schema, written by the real Codex CLI, and a validator for every
message pycodex sends (responses by the method they answer, notifications, server requests)."""

from __future__ import annotations

import json
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from tests.interop.codex_bin import codex_binary

# Methods whose params are null in Codex's schema: their response schema is named here.
_RESPONSE_NAMES = {"account/logout": "LogoutAccountResponse"}


@cache
def _schema_dir(out: str) -> Path:
    path = Path(out)
    if not (path / "v2").is_dir():
        subprocess.run([str(codex_binary()), "app-server", "generate-json-schema", "--out", out],
                       check=True, capture_output=True, timeout=60)
    return path


class V2Schema:
    """Validators for what a server sends, picked by method."""

    def __init__(self, out_dir: Path) -> None:
        self.dir = _schema_dir(str(out_dir))
        self._notes = self._by_method("ServerNotification.json")
        self._requests = self._by_method("ServerRequest.json")
        client = json.loads((self.dir / "ClientRequest.json").read_text())
        self._response_file: dict[str, str] = {}
        for branch in client["oneOf"]:
            method = branch["properties"]["method"]["enum"][0]
            ref = json.dumps(branch["properties"].get("params", {}))
            name = ref.split("#/definitions/")[-1].split('"')[0] if "#/definitions/" in ref else ""
            if name.endswith("Params"):
                self._response_file[method] = name[: -len("Params")] + "Response"
        self._response_file.update(_RESPONSE_NAMES)

    def _by_method(self, file: str) -> dict[str, jsonschema.Draft7Validator]:
        doc = json.loads((self.dir / file).read_text())
        out = {}
        for branch in doc["oneOf"]:
            method = branch["properties"]["method"]["enum"][0]
            out[method] = jsonschema.Draft7Validator({**branch, "definitions": doc["definitions"]})
        return out

    @cache  # noqa: B019 - one schema object per test session
    def _response(self, method: str) -> jsonschema.Draft7Validator:
        if method == "initialize":
            path = self.dir / "v1" / "InitializeResponse.json"
        else:
            path = self.dir / "v2" / f"{self._response_file[method]}.json"
        return jsonschema.Draft7Validator(json.loads(path.read_text()))

    def check_notification(self, msg: dict[str, Any]) -> None:
        """A notification must be one Codex defines, with params of its shape."""
        assert "id" not in msg and "jsonrpc" not in msg, msg
        validator = self._notes.get(msg["method"])
        assert validator is not None, f"not a v2 notification: {msg['method']}"
        _validate(validator, msg)

    def check_server_request(self, msg: dict[str, Any]) -> None:
        """A request from the server must be one Codex defines."""
        validator = self._requests.get(msg["method"])
        assert validator is not None, f"not a v2 server request: {msg['method']}"
        _validate(validator, msg)

    def check_response(self, method: str, msg: dict[str, Any]) -> None:
        """An answer: an error object, or a result of the method's response shape."""
        assert "jsonrpc" not in msg, msg
        if "error" in msg:
            err = msg["error"]
            assert isinstance(err["code"], int) and isinstance(err["message"], str), msg
            return
        _validate(self._response(method), msg["result"])

    def check_all(self, sent: list[dict[str, Any]], received: list[dict[str, Any]]) -> int:
        """Validate every message a server sent (`received`), answers matched to the client's
        requests in `sent` by id; returns how many were checked."""
        methods = {m["id"]: m["method"] for m in sent if "id" in m and "method" in m}
        for msg in received:
            if "method" in msg and "id" in msg:
                self.check_server_request(msg)
            elif "method" in msg:
                self.check_notification(msg)
            elif msg.get("id") in methods:
                self.check_response(methods[msg["id"]], msg)
            else:
                assert "error" in msg, f"an answer to no request: {msg}"
        return len(received)


def _validate(validator: jsonschema.Draft7Validator, instance: Any) -> None:
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
    if errors:
        best = jsonschema.exceptions.best_match(errors)
        raise AssertionError(f"{best.message} at {list(best.path)} in {json.dumps(instance)[:1500]}")
