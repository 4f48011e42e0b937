"""The docs name only modules and files that exist (a module that is gone is a promise broken)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "pycodex"
# The other docs name JSON-RPC methods (`model/list`) in the same form; these two name code.
DOCS = [ROOT / "README.md", ROOT / "docs" / "ARCHITECTURE.md"]


def _named_paths(text: str) -> list[str]:
    """`pkg/module`, `pkg/module.py` and `tests/...` written in backticks."""
    return re.findall(r"`((?:[a-z_]+/)+[a-z_0-9]+(?:\.py)?)`", text)


def _exists(ref: str) -> bool:
    base = ROOT if ref.startswith("tests/") else SRC
    path = base / ref
    return path.exists() or path.with_name(path.name + ".py").exists()


def test_every_module_the_docs_name_exists() -> None:
    """Broken promise tried: docs/ARCHITECTURE.md described `model/http_wire`, `model/transport`,
    `model/sse_decode` and `model/transport_httpx` after they were removed for httpx again."""
    packages = {p.name for p in SRC.iterdir() if p.is_dir()} | {"tests"}
    missing = [
        f"{doc.relative_to(ROOT)}: {ref}"
        for doc in DOCS
        for ref in _named_paths(doc.read_text(encoding="utf-8"))
        if ref.split("/")[0] in packages and not _exists(ref)
    ]
    assert missing == []
