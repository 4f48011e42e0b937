"""The hosted web search setting: which mode the config asks for, and which one a turn gets.

Pure. Codex 0.169's rules: `web_search` (top level or in the profile) wins; else the older
`[tools] web_search = true|false`; else the feature flags `web_search_cached` and
`web_search_request`. With none of them a turn gets `cached` (the search service's index, no
live fetching), or `live` when it runs without a sandbox, as Codex chooses; a provider whose
`capabilities.external_web_access` is false gets `cached` whatever was asked.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from pycodex.protocol.policies import DangerFullAccess

if TYPE_CHECKING:
    from pycodex.config.schema import SettingsToml
    from pycodex.protocol.policies import SandboxPolicy


class WebSearchMode(StrEnum):
    """`web_search = "..."` in config.toml."""

    DISABLED = "disabled"
    CACHED = "cached"
    INDEXED = "indexed"
    LIVE = "live"


def configured_web_search(settings: SettingsToml) -> WebSearchMode | None:
    """The mode the settings ask for; None leaves it to the turn's sandbox."""
    if settings.web_search is not None:
        return WebSearchMode(settings.web_search)
    if settings.tools is not None and settings.tools.web_search is not None:
        # The older boolean spelling asked for the (then only) live search, or for none.
        return WebSearchMode.LIVE if settings.tools.web_search else WebSearchMode.DISABLED
    features = settings.features
    if features is not None and features.web_search_cached:
        return WebSearchMode.CACHED
    if features is not None and features.web_search_request:
        return WebSearchMode.LIVE
    return None


def web_search_for_turn(
    configured: WebSearchMode | None, sandbox: SandboxPolicy, *, external_web_access: bool = True
) -> WebSearchMode:
    """The mode a turn runs with: `cached` by default, raised to `live` without a sandbox,
    and never more than `cached` where the provider cannot reach the web itself."""
    mode = configured or WebSearchMode.CACHED
    if mode is not WebSearchMode.DISABLED and not external_web_access:
        return WebSearchMode.CACHED
    if mode is WebSearchMode.CACHED and isinstance(sandbox, DangerFullAccess):
        return WebSearchMode.LIVE
    return mode


# Models whose catalog entry in Codex 0.169 lets web search return images as well as text.
_IMAGE_RESULT_MODELS = ("gpt-5.5", "gpt-5.6", "gpt-6", "gpt-daybreak", "codex-auto-review")


def returns_images(model: str) -> bool:
    """Whether web search for this model asks for image results too."""
    return model.lower().startswith(_IMAGE_RESULT_MODELS)
