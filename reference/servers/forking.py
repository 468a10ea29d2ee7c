"""Model 3, ``forking``: a new process (``os.fork``) per connection, each blocking.

The parent only accepts: for each connection it forks a child that serves it with
the same blocking loop as ``single`` and then exits.  After the fork both processes
hold the listening socket and the connection socket, and ``close`` only drops one
reference to a kernel socket, so each closes the one it does not own: the child
closes the listener, the parent closes the connection.  The child always ends in
``os._exit``: returning would run the parent's code (its accept loop, its
``finally`` blocks) a second time, in the wrong process.

A child that has exited stays a zombie until its parent collects its status with
``waitpid``.  Here SIGCHLD wakes the parent's loop (its handler only writes a
wake-up byte) and the parent reaps with ``waitpid(-1, WNOHANG)`` until nothing is
left, so no zombie lingers, even under a flood of short connections.

Concurrency: unbounded; one process per open connection.

Cost: a fork per connection (copy-on-write page tables, a new process to schedule),
which dominates for short connections.  In return every connection has its own
interpreter and core, and a crash in one child harms nobody else.

Under load: the process count follows the client count until the machine runs out
of memory or of process slots (``fork`` fails with EAGAIN); a burst of clients is a
burst of forks.  The parent must not queue for the CPU behind its own children: at
equal priority it is one runnable process among hundreds, and on one core a burst of
256 busy clients took the whole of a 6 s run to accept, the last client waiting 6 s
for its first answer.  So each child lowers its priority (``nice`` 19): the parent,
which only accepts and forks, runs whenever it has work, and the children share the
rest equally (the last of the same burst then waits 0.7-1.2 s).  The price is that
the children also yield to every other process on the machine; a server that must
not pay it keeps a pool instead (``prefork``).

Used by: inetd and classic Unix daemons, early Apache (before preforking), OpenSSH's
``sshd``, PostgreSQL's postmaster (a backend per connection), ``socketserver.ForkingMixIn``.

On stop the parent closes the listener, then TERMs its children (each finishes the
request it has half-received, then closes), waits out the grace period while reaping,
KILLs what is left and reaps it.
"""

from __future__ import annotations

import os
import socket

from reference.servers._plumbing import (
    BACKOFF,
    Exhausted,
    ServerConfig,
    StopFlag,
    Supervisor,
    accept,
    log,
    log_ready,
    serve_connection,
)

CHILD_NICENESS = 19  # added to the parent's: the children yield the CPU to the parent (see above)


def _child(stop: StopFlag, listener: socket.socket, client: socket.socket, config: ServerConfig) -> None:
    listener.close()  # the parent keeps accepting; this process only serves ``client``
    os.nice(CHILD_NICENESS)
    serve_connection(client, config, stop)
    # Supervisor.spawn ends this process with os._exit.


def serve(listener: socket.socket, config: ServerConfig) -> int:
    supervisor = Supervisor(config, kind="connection process")
    supervisor.install()
    log_ready(listener, "forking", "per-connection")
    listening = listener.fileno()
    while True:
        ready = supervisor.wait(None, listening)  # SIGCHLD wakes it too: children are reaped in there
        if supervisor.stopping:
            break
        if not ready:
            continue
        try:
            client = accept(listener)
        except Exhausted:
            supervisor.wait(BACKOFF)
            continue
        if client is None:
            continue
        try:
            supervisor.spawn(_child, listener, client, config)
        except OSError as exc:  # out of processes or memory: refuse this one, keep serving
            log.error("cannot fork: %s", exc.strerror)
            supervisor.wait(BACKOFF)
        finally:
            client.close()  # the child holds its own reference
    listener.close()
    log.info("stopping: %d connection process(es) running", len(supervisor.children))
    supervisor.shutdown()
    log.info("stopped")
    return 1 if supervisor.forced else 0
