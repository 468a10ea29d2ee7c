"""Never sends an error response: invalid requests (bad JSON included) are silently ignored.

On the wire: a body that is not JSON gets nothing; a ping sent after it on the same connection
gets its pong as the first response.
"""

from _base import LPJHandler, run

BREAKS = "LPJ-JSON-3"


class Handler(LPJHandler):
    def write_response(self, response):
        if response["out"] == "error":
            return  # BUG: errors are dropped instead of answered
        super().write_response(response)


if __name__ == "__main__":
    run(Handler)
