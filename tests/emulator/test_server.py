"""The emulator's listening socket, as the operating system sees it."""

from __future__ import annotations

import asyncio
import socket

from hfwidgets.emulator._server import bind


async def test_accepted_connections_send_without_waiting_for_acks() -> None:
    # Nagle's algorithm holds a response's body until the client ACKs its headers, and clients
    # delay ACKs by up to 40 ms: every request would take 40 ms. asyncio turns it off on
    # connections of a socket created as TCP, which is what this checks.
    nodelay: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            nodelay.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    listening = bind("127.0.0.1", 0)
    server = await asyncio.get_running_loop().create_server(Probe, sock=listening)
    async with server:
        _, writer = await asyncio.open_connection(*listening.getsockname())
        assert await asyncio.wait_for(nodelay, 10) != 0
        writer.close()
