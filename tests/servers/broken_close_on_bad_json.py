"""Closes the connection after answering a body that is not JSON with -32700.

On the wire: a non-JSON body gets the right -32700 response, then end of file; a ping after it
on the same connection is never answered.
"""

from _base import PARSE_ERROR, CloseConnection, LPJHandler, run

BREAKS = "LPJ-ERR-4"


class Handler(LPJHandler):
    def handle_frame(self, body):
        response = super().handle_frame(body)
        if response["out"] == "error" and response["result"]["code"] == PARSE_ERROR:
            self.write_response(response)
            raise CloseConnection  # BUG: "the stream is corrupt, give up"
        return response


if __name__ == "__main__":
    run(Handler)
