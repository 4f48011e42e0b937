"""Base model shared by every wire type."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class WireModel(BaseModel):
    """A wire type: unknown fields from newer peers are ignored, never fatal."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, defer_build=True)
