"""Sends the error message as a bare string instead of the {"code", "message"} object.

On the wire: an unknown method gets {"out": "error", "result": "unknown method 'nope'"}.
"""

from _base import LPJHandler, run

BREAKS = "LPJ-ERR-1"


class Handler(LPJHandler):
    def error(self, code, message):
        return self.reply("error", message)  # BUG: result must be {"code": C, "message": M}


if __name__ == "__main__":
    run(Handler)
