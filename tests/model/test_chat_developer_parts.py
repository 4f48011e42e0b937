"""A developer message of several parts (permissions, then configured instructions) on the Chat wire."""

from __future__ import annotations

from pycodex.model.chat_request import build_chat_messages
from pycodex.model.prompt import Prompt
from pycodex.protocol.models import InputText, Message


def test_developer_parts_stay_apart_in_the_system_message() -> None:
    dev = Message(role="developer", content=[InputText(text="<permissions instructions>\nx\n</permissions instructions>"),
                                             InputText(text="use tabs")])
    msgs = build_chat_messages(Prompt(input=[dev]))
    assert msgs == [{"role": "system", "content": "<permissions instructions>\nx\n</permissions instructions>\n\nuse tabs"}]
