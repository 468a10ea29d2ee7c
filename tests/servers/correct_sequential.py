"""Serves one connection at a time (the seed's first model); the next client waits in the listen
backlog until the current one ends.

Still conformant: the spec demands no concurrency. A second connection is accepted by the kernel
and answered as soon as the first connection closes; nothing is refused or reset.
"""

import socketserver

from _base import LPJHandler, ServerOptions, run

BREAKS = None


class Server(ServerOptions, socketserver.TCPServer):
    """socketserver.TCPServer handles each connection in the accepting thread."""


if __name__ == "__main__":
    run(LPJHandler, Server)
