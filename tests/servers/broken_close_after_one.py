"""Closes the connection after its first response, HTTP/1.0 style.

On the wire: the first request gets its response, then end of file; a second request on the same
connection is never answered. (Also fails pipelining and "the connection stays open after an error".)
"""

from _base import CloseConnection, LPJHandler, run

BREAKS = "LPJ-CONN-5"


class Handler(LPJHandler):
    def write_response(self, response):
        super().write_response(response)
        raise CloseConnection  # BUG: one request per connection


if __name__ == "__main__":
    run(Handler)
