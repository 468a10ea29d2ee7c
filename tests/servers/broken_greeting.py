"""Sends an unsolicited greeting frame as soon as a client connects.

On the wire: before any request, the client receives {"out": "hello", "result": {...}}; the first
ping's pong comes second.
"""

from _base import LPJHandler, run

BREAKS = "LPJ-RESP-3"


class Handler(LPJHandler):
    def on_connect(self):
        self.write_response(self.reply("hello", {"server": "zoo", "protocol": "LPJ-RPC/1"}))  # BUG


if __name__ == "__main__":
    run(Handler)
