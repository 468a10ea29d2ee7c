"""Model 1, ``single``: one thread, blocking, one connection at a time.

The server accepts a connection and serves it until the client leaves, then accepts
the next.  Everything happens in one line of control: read what arrived, hand it
to the protocol core, send back the answers, read again.

Concurrency: sequential.  While one client is connected, the next waits in the
listen backlog; its connect succeeds (the kernel completes the handshake) but
nothing answers until the first client closes.

Cost: nothing beyond one process and two buffers; it is the model to read first,
and the baseline the others are measured against.

Under load: it goes deaf as soon as one client holds its connection open, idle or
slow (a client sending one byte a second blocks everyone); clients queue in the
backlog, then connects fail once the backlog is full.

Used by: ``socketserver.TCPServer`` and ``http.server`` without their mix-ins,
``python -m http.server`` before 3.7, debugging stubs and test doubles.
"""

from __future__ import annotations

import socket

from reference.servers._plumbing import (
    ServerConfig,
    StopFlag,
    accept_loop,
    log,
    log_ready,
    serve_connection,
)


def serve(listener: socket.socket, config: ServerConfig) -> int:
    stop = StopFlag(config.grace)
    stop.install()
    log_ready(listener, "single", 1)

    def handle(client: socket.socket) -> None:
        # The whole model is this call: the accept loop does not come back until
        # this client has gone, so nobody else is served meanwhile.
        serve_connection(client, config, stop)

    accept_loop(listener, stop, handle)
    listener.close()
    log.info("stopped (%s)", stop.reason)
    return 0
