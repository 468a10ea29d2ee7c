"""Model 2, ``threaded``: a native thread per connection, each blocking on its own socket.

The main thread only accepts; every connection gets a thread running the same
blocking loop as ``single``.  The code of a connection still reads top to bottom,
and a slow or idle client now ties up only its own thread.

Concurrency: unbounded; one thread per open connection.

Cost: a thread each (a stack of virtual memory, kernel scheduling, a start per
connection).  In CPython the threads take turns holding the GIL, so the server
uses about one core however many threads it runs: good for connections that mostly
wait, poor for CPU-heavy handlers.  Threads share memory, so handlers must not share
mutable state carelessly, and a crash in one takes the process down.

Under load: the number of threads grows with the number of clients until memory or
the thread limit runs out (``can't start new thread``), and latency rises as they
all contend for one interpreter.

Used by: ``socketserver.ThreadingMixIn`` (``http.server.ThreadingHTTPServer``),
Java's classic servlet containers, Apache's ``worker`` MPM (bounded there), many
embedded servers.

On stop, the accept loop ends, the listener closes, and each thread closes its
connection once no request is half-received; the main thread waits for them until
the grace period is over.
"""

from __future__ import annotations

import socket
import threading
import time

from reference.servers._plumbing import (
    BACKOFF,
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
    threads: set[threading.Thread] = set()

    def run(client: socket.socket) -> None:
        try:
            serve_connection(client, config, stop)
        finally:
            threads.discard(threading.current_thread())

    def handle(client: socket.socket) -> None:
        # The one line that differs from ``single``: serve the client in a new thread.
        thread = threading.Thread(target=run, args=(client,), name=f"conn-{client.fileno()}", daemon=True)
        threads.add(thread)
        try:
            thread.start()
        except RuntimeError as exc:  # out of threads: refuse this one, keep the server up
            threads.discard(thread)
            client.close()
            log.error("cannot start a thread: %s", exc)
            stop.wait(BACKOFF)

    log_ready(listener, "threaded", "per-connection")
    accept_loop(listener, stop, handle)
    listener.close()
    log.info("%s: stopping, %d connection(s) open", stop.reason, len(threads))
    deadline = stop.deadline + 1.0
    for thread in list(threads):
        thread.join(max(0.0, deadline - time.monotonic()))
    if threads:
        log.warning("%d connection thread(s) did not finish in time", len(threads))
    log.info("stopped")
    return 0
