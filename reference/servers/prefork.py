"""Model 4, ``prefork``: a master forks N blocking workers up front; they take turns accepting.

The master binds the listening socket, forks N workers and then only supervises:
it never accepts and never touches a client socket.  Every worker runs the
``single`` loop on the shared listener: whichever is free when a client arrives
accepts it (the others see EAGAIN) and serves it to the end.  Load cannot fork the
machine to death, because the pool never grows.

The master follows gunicorn's discipline: flag-only signal handlers, a reap loop,
exit statuses decoded and logged (a SIGKILL reported as a likely out-of-memory
kill), a dead worker replaced, and a restart budget so that a worker that crashes
at start stops the master instead of being forked forever.  A worker also leaves
if its master disappears.

Concurrency: bounded, N connections at once (default: one worker per CPU).  With N
clients connected, client N+1 waits in the backlog until one of them leaves.

Cost: N processes, whether busy or not; no fork per connection.  Uses every core,
and a crash kills one worker, which is replaced.

Under load: deaf as soon as N clients hold their connections, even idle ones (a
classic denial of service: open N connections and say nothing); the backlog then
fills and connects fail.  Every free worker wakes for each new connection and all
but one go back to sleep (the thundering herd), which is cheap at N = CPU count.

Used by: Apache's ``prefork`` MPM, gunicorn's sync workers, unicorn, PHP-FPM,
uWSGI, PostgreSQL-style pools.

On stop the master closes the listener and TERMs the workers: each finishes the
request it has half-received, closes its connection and exits; after the grace
period the master KILLs what is left, reaps everything and exits.
"""

from __future__ import annotations

import socket

from reference.servers._plumbing import (
    ServerConfig,
    StopFlag,
    Supervisor,
    accept_loop,
    serve_connection,
)


def worker(stop: StopFlag, listener: socket.socket, config: ServerConfig, master: int) -> None:
    """One worker: the ``single`` model on the shared listener, until told to stop."""

    def handle(client: socket.socket) -> None:
        serve_connection(client, config, stop)

    accept_loop(listener, stop, handle, master=master)
    listener.close()


def serve(listener: socket.socket, config: ServerConfig) -> int:
    return Supervisor(config).run_pool([listener], "prefork", worker)
