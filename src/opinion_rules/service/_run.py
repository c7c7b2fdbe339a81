"""
Running the service on uvicorn: on a socket bound first, so that the URL
printed is the one listened on (``--port 0`` picks a free port).
"""

from __future__ import annotations

import socket
from collections.abc import Callable

import uvicorn
from starlette.applications import Starlette

from opinion_rules.exceptions import ServiceError


__all__ = ["listening_socket", "serve"]


def serve(
    app: Starlette,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    on_listen: Callable[[str], None] = print,
    log_level: str = "info",
) -> None:
    """
    Serve *app* on *host*:*port* until interrupted (SIGINT, SIGTERM);
    call *on_listen* with the URL once the socket listens (before the
    first request is accepted; requests wait in the socket's backlog).

    Raises:
        OSError: the address cannot be bound.
        ServiceError: the application did not start (its lifespan failed).

    .. versionadded:: 0.6.0
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = listening_socket(host, port)
    try:
        bound = sock.getsockname()[1]
        shown = f"[{host}]" if family == socket.AF_INET6 else host
        config = uvicorn.Config(app, log_level=log_level, lifespan="on")
        server = uvicorn.Server(config)
        on_listen(f"http://{shown}:{bound}")
        server.run(sockets=[sock])
    finally:
        sock.close()
    if not server.started:
        raise ServiceError(
            f"http://{shown}:{bound}", "the service did not start; its log above says why"
        )


def listening_socket(host: str, port: int) -> socket.socket:
    """
    A TCP socket listening on *host*:*port*.

    Raises:
        OSError: the address cannot be bound.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, so that the accepted sockets carry it and asyncio
    # sets TCP_NODELAY on them (it checks the protocol); with 0, Nagle's
    # algorithm holds a response's body until the client's delayed ACK of
    # its headers: 40 ms per request on a kept-alive connection.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except BaseException:
        sock.close()
        raise
    return sock
