"""`view_image`: attach a local image to the next request."""

from __future__ import annotations

import asyncio

from pydantic import BaseModel

from pycodex.protocol.events import ViewImageToolCall
from pycodex.protocol.models import InputImage, Message
from pycodex.session.input import ImageError, local_image_data_url
from pycodex.tools.context import RespondToModel, ToolInvocation, ToolOutput, parse_args


class ViewImageArgs(BaseModel):
    path: str


class ViewImageHandler:
    """Reads the image now, so the model hears at once if it cannot be used."""

    async def handle(self, inv: ToolInvocation) -> ToolOutput:
        """Validate and queue the image."""
        args = parse_args(ViewImageArgs, inv.payload)
        path = inv.tc.resolve_path(args.path)
        try:
            url = await asyncio.to_thread(local_image_data_url, path)
        except (ImageError, OSError) as e:
            raise RespondToModel(f"unable to attach image: {e}") from e
        message = Message(role="user", content=[InputImage(image_url=url)])
        if not inv.session.inject_input([message]):
            raise RespondToModel("unable to attach image (no active task)")
        await inv.session.send_event(inv.sub_id, ViewImageToolCall(call_id=inv.call_id, path=path))
        return ToolOutput("attached local image path")

    def parallel_safe(self, inv: ToolInvocation) -> bool:
        """Reading an image changes nothing."""
        return True
