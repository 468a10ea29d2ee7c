"""Closes a connection after 31 s without any input.

Still conformant: LPJ-CONN-4 allows closing a connection idle for more than 30 s; LPJ-CONN-3 only
forbids it at 30 s or less. A kit that idles less than 30 s sees nothing unusual.
"""

from _base import LPJHandler, run

BREAKS = None


class Handler(LPJHandler):
    idle_timeout = 31.0


if __name__ == "__main__":
    run(Handler)
