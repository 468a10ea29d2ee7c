"""Leaves "empty" members out of responses, so a pong whose result is null, false, 0, "", [] or {} has no "result".

On the wire: {"in": "ping", "params": null} gets {"out": "pong"}; params 1 gets a complete pong.
"""

from _base import LPJHandler, run

BREAKS = "LPJ-RESP-1"


class Handler(LPJHandler):
    def reply(self, out, result):
        response = {"out": out, "result": result}
        return {key: value for key, value in response.items() if value}  # BUG: `if value` drops null, 0, ...


if __name__ == "__main__":
    run(Handler)
