"""Echoes params JSON-encoded a second time, so the pong's result is a string of JSON text.

On the wire: {"in": "ping", "params": [1, 2]} gets {"out": "pong", "result": "[1, 2]"}.
"""

import json

from _base import LPJHandler, run

BREAKS = "LPJ-PING-1"


class Handler(LPJHandler):
    def do_ping(self, params):
        return self.reply("pong", json.dumps(params))  # BUG: encoded here and again by encode_response


if __name__ == "__main__":
    run(Handler)
