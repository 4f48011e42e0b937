"""Helpers shared by the model-layer tests: a client aimed at a scripted server."""

from __future__ import annotations

from typing import Any

from pycodex.model import events as me
from pycodex.model.client import ModelClient
from pycodex.model.prompt import ModelSettings, Prompt
from pycodex.model.providers import ModelProviderInfo
from pycodex.protocol.models import ResponseItem, user_message
from pycodex.protocol.policies import ReasoningEffort
from pycodex.testing.server import ScriptedModelServer


def provider(srv: ScriptedModelServer, wire: str = "responses", **kw: Any) -> ModelProviderInfo:
    """A provider for the server with no retries unless asked."""
    fields: dict[str, Any] = {"name": "scripted", "base_url": srv.base_url, "wire_api": wire,
                              "env_key": "SCRIPTED_KEY", "request_max_retries": 0}
    fields.update(kw)
    return ModelProviderInfo.model_validate(fields)


def client(srv: ScriptedModelServer, wire: str = "responses", env: dict[str, str] | None = None,
           reasoning: bool = True, **kw: Any) -> ModelClient:
    """A ModelClient for gpt-5.5 with high effort, conversation id `conv-1`."""
    settings = ModelSettings(model="gpt-5.5", effort=ReasoningEffort.HIGH, supports_reasoning=reasoning)
    return ModelClient(provider(srv, wire, **kw), settings, "conv-1",
                       env={"SCRIPTED_KEY": "secret"} if env is None else env)


def prompt(tools: list[dict[str, Any]] | None = None, history: list[ResponseItem] | None = None,
           **kw: Any) -> Prompt:
    """A one-question prompt with instructions `be brief`."""
    return Prompt(input=history or [user_message("hi")], tools=tools or [], instructions="be brief", **kw)


async def collect(c: ModelClient, p: Prompt | None = None) -> list[me.ResponseEvent]:
    """Every event of one stream."""
    try:
        return [e async for e in c.stream(p or prompt())]
    finally:
        await c.aclose()


def done_items(events: list[me.ResponseEvent]) -> list[Any]:
    """The items of the OutputItemDone events."""
    return [e.item for e in events if isinstance(e, me.OutputItemDone)]
