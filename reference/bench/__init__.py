"""Benchmarking LPJ-RPC/1 servers: ``lpj bench`` and its parts.

* :mod:`~reference.bench.loadgen`: the load generator (forked processes, an epoll loop
  each, pipelining, every response checked, a latency histogram).
* :mod:`~reference.bench.yardstick`: the server every result is compared with, a plain
  asyncio ``Protocol`` on uvloop with the standard ``json`` module.
* :mod:`~reference.bench.servers`: servers as subprocesses on port 0, stopped by pid.
* :mod:`~reference.bench.suite`: the scenarios S1-S5, the round-by-round runner, tables.
* :mod:`~reference.bench.plot`: req/s and p99 against concurrency (matplotlib).
* :mod:`~reference.bench.locust`: a Locust ``User`` for scaling out beyond one machine.

Nothing here is imported by the servers, and the optional dependencies (uvloop,
matplotlib, locust) are imported only where they are used.
"""
