"""One client connection: ordered writes, and the requests we send it (approvals)."""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import Any

from pycodex.app_server import jsonrpc as rpc
from pycodex.app_server.transport import Transport

log = logging.getLogger(__name__)


class ClientGone(Exception):
    """The client stopped reading or went away."""


class Connection:
    """Writes whole lines in order; matches the client's answers to our requests."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._write_lock = asyncio.Lock()
        self._ids = itertools.count()
        self._pending: dict[rpc.RequestId, asyncio.Future[rpc.Response]] = {}
        self.gone = False
        self.closed_input = False  # stdin ended: no answer can arrive
        self.opted_out: frozenset[str] = frozenset()

    async def send(self, message: dict[str, Any]) -> None:
        """Write one message; a client that is gone is noted, not raised to the caller."""
        if self.gone:
            return
        data = rpc.encode(message)
        async with self._write_lock:
            try:
                await self._transport.write(data)
            except (ConnectionError, OSError) as e:
                log.info("client gone while writing: %s", e)
                self.mark_gone()

    async def notify(self, method: str, params: dict[str, Any]) -> None:
        """Send a notification (unless the client opted out of it)."""
        if method not in self.opted_out:
            await self.send(rpc.notification_message(method, params))

    async def request(self, method: str, params: dict[str, Any]) -> rpc.Response:
        """Send a request and wait for its answer; raises ClientGone if none can come."""
        if self.gone or self.closed_input:
            raise ClientGone()
        rid = next(self._ids)
        fut: asyncio.Future[rpc.Response] = asyncio.get_running_loop().create_future()
        self._pending[rid] = fut
        try:
            await self.send(rpc.request_message(rid, method, params))
            return await fut
        finally:
            self._pending.pop(rid, None)

    def deliver(self, response: rpc.Response) -> None:
        """Hand the client's answer to the request waiting for it."""
        fut = self._pending.get(response.id)
        if fut is None and isinstance(response.id, str) and response.id.isdigit():
            fut = self._pending.get(int(response.id))  # a client that echoes ids as strings
        if fut is None:
            log.warning("answer to unknown request id %r", response.id)
            return
        if not fut.done():
            fut.set_result(response)

    def fail_pending(self) -> None:
        """Every request waiting for an answer fails (the client can no longer send one)."""
        self.closed_input = True
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(ClientGone())

    def mark_gone(self) -> None:
        """No more writes; every waiting request fails."""
        self.gone = True
        self.fail_pending()
