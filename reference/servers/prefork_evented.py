"""Model 6, ``prefork-evented``: a master forks N workers, each running the ``evented`` loop.

The master is the ``prefork`` master (it binds, forks, supervises, replaces dead
workers within a restart budget, never accepts); each worker runs its own
``evented`` loop on the shared listening socket.  The poller, the buffers and
every other piece of event-loop state are created in the worker, after the fork:
an epoll instance created before a fork is shared by the children and would
deliver one process's events to another.

Concurrency: unbounded connections, served on N cores (default: one worker per CPU).
A connection belongs to the worker that accepted it for its whole life.

Cost: N processes and the evented model's inside-out code.  Connections are spread
by whichever worker wakes first, not evenly: a worker that is already busy accepts
less only because it gets to ``accept`` later.  All workers wake for each new
connection (a thundering herd); Nginx avoids it with an accept mutex or
``SO_REUSEPORT``, gunicorn and Tornado accept the cost.

Under load: as ``evented``, but a slow handler stalls only the clients of one worker,
and the ceiling is N cores instead of one.  A worker that dies takes its connections
with it; the master starts a new one.

Used by: Nginx, Tornado's ``fork_processes``, gunicorn with async (gevent, eventlet)
workers, uvicorn with ``--workers``.
"""

from __future__ import annotations

import socket

from reference.servers._plumbing import ServerConfig, StopFlag, Supervisor
from reference.servers.evented import EventLoop


def worker(stop: StopFlag, listener: socket.socket, config: ServerConfig, master: int) -> None:
    EventLoop(listener, config, stop, master=master).run()  # the poller is born here, after the fork
    listener.close()


def serve(listener: socket.socket, config: ServerConfig) -> int:
    return Supervisor(config).run_pool(listener, "prefork-evented", worker)
