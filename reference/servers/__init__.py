"""Six ways to serve LPJ-RPC, one protocol core.

Every model here is an I/O loop around :class:`reference.protocol.ServerConnection`:
bytes from ``recv`` go in, response bytes come out.  What differs is only how a
server waits for many clients at once, and that is decided on two axes.

Blocking or evented.  A blocking server gives each connection a line of control
that sleeps in ``recv`` until its client speaks, so the code reads top to bottom;
the price is one thread or process per connection being served.  An evented
server asks the kernel (epoll, kqueue, poll) which sockets are ready and
does a little work for each, so one thread holds thousands of connections; the
price is that every connection's state lives in explicit buffers, and one slow
computation stalls every client of the loop.

Threads or processes.  Threads are cheap and share memory, but in CPython they
take turns on one core, and a crash anywhere takes the whole server down.
Processes use every core and isolate failures; they cost a fork and need a parent
that reaps them and passes signals on.

=================  ====================  ===========================================
model              concurrency           goes deaf when
=================  ====================  ===========================================
single             sequential            any client holds its connection open
threaded           unbounded (threads)   threads or memory run out; CPU-bound work
forking            unbounded (processes) fork cost and process count under load
prefork            bounded: N processes  N clients hold their connections open
evented            unbounded, one core   a handler blocks or burns CPU
prefork-evented    unbounded, N cores    (as evented, N times over)
=================  ====================  ===========================================

Use ``single`` to understand the protocol, ``threaded`` for a handful of clients,
``prefork`` when requests are short and the number of clients known, and the
evented models when connections are many and mostly idle, which is most of the
time.  ``forking`` is the historical one: it isolates every connection at the
cost of a fork each.

Each model is a module with ``serve(listener, config) -> exit code``; the shared
plumbing (binding, accept and disconnect errors, signals, the per-connection
blocking loop, the process supervisor) is in :mod:`reference.servers._plumbing`.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from reference.servers._plumbing import ListenError, ServerConfig, bind, keep_freed_memory

__all__ = ["MODELS", "POOL_MODELS", "ListenError", "ServerConfig", "load", "serve"]

MODELS: dict[str, str] = {
    "single": "reference.servers.single",
    "threaded": "reference.servers.threaded",
    "forking": "reference.servers.forking",
    "prefork": "reference.servers.prefork",
    "evented": "reference.servers.evented",
    "prefork-evented": "reference.servers.prefork_evented",
}
"""Model name (as given to ``lpj serve --model``) -> module implementing it."""

POOL_MODELS = frozenset({"prefork", "prefork-evented"})
"""The models that use ``ServerConfig.workers``."""


def load(model: str) -> ModuleType:
    try:
        return importlib.import_module(MODELS[model])
    except KeyError:
        raise ValueError(f"unknown model {model!r} (choose from {', '.join(MODELS)})") from None


def serve(model: str, config: ServerConfig) -> int:
    """Bind config's address and run ``model`` until it is stopped; return the exit code.

    Raises :class:`ListenError` if the address cannot be bound.
    """
    module = load(model)
    keep_freed_memory()
    listener = bind(config, reuse_port=getattr(module, "REUSE_PORT", False))
    with listener:
        return module.serve(listener, config)
