"""Write docs/schema/*.json from the protocol types: `python scripts/generate_schema.py`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pycodex.protocol.schema import generate_schemas


def main() -> int:
    out = Path(__file__).resolve().parent.parent / "docs" / "schema"
    out.mkdir(parents=True, exist_ok=True)
    for name, schema in generate_schemas().items():
        (out / name).write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
