"""Model 6, ``prefork-evented``: a master forks N workers, each running the ``evented`` loop.

The master is the ``prefork`` master (it binds, forks, supervises, replaces dead
workers within a restart budget, never accepts); each worker runs its own
``evented`` loop on a listening socket (see below).  The poller, the buffers and
every other piece of event-loop state are created in the worker, after the fork:
an epoll instance created before a fork is shared by the children and would
deliver one process's events to another.

Concurrency: unbounded connections, served on N cores (default: one worker per CPU).
A connection belongs to the worker that accepted it for its whole life.

Cost: N processes and the evented model's inside-out code.  On one shared listening
socket, connections would go to whichever worker wakes first: every worker wakes for
each new connection (a thundering herd) and the first takes all that are queued, so a
burst of 16 clients measured 0/16 and 1/15 per worker.  So on Linux each worker has a
listening socket of its own on the same port (``SO_REUSEPORT``, as Nginx's
``reuseport``), and the kernel spreads clients over them by a hash of their address
and port: evenly on average, though not by load (a busy worker gets its share all the
same).  The master holds every socket, so clients that arrive while a worker is being
replaced wait in its queue instead of being refused.  Elsewhere the workers share one
socket, as gunicorn's and Tornado's do.

Under load: as ``evented``, but a slow handler stalls only the clients of one worker,
and the ceiling is N cores instead of one.  A worker that dies takes its connections
with it; the master starts a new one.

Used by: Nginx, Tornado's ``fork_processes``, gunicorn with async (gevent, eventlet)
workers, uvicorn with ``--workers``.
"""

from __future__ import annotations

import socket

from reference.servers._plumbing import SPREADS_BY_PORT, ServerConfig, StopFlag, Supervisor, bind_more
from reference.servers.evented import EventLoop

REUSE_PORT = SPREADS_BY_PORT  # asks ``serve`` in reference.servers for a listener that others can join


def serve(listener: socket.socket, config: ServerConfig) -> int:
    listeners = [listener]
    if REUSE_PORT:  # one listening socket per worker, on the same port: the kernel spreads clients
        listeners += bind_more(listener, config.pool_size - 1, config.backlog)

    def worker(stop: StopFlag, own: socket.socket, config: ServerConfig, master: int) -> None:
        for other in listeners:
            if other is not own:
                other.close()  # this worker's copy only: the master keeps them for their workers
        EventLoop(own, config, stop, master=master).run()  # the poller is born here, after the fork
        own.close()

    return Supervisor(config).run_pool(listeners, "prefork-evented", worker)
