"""Starts every response body with a UTF-8 byte-order mark (encodes with "utf-8-sig").

On the wire: every response body starts with ef bb bf (counted in L); a strict client rejects it.
"""

from _base import LPJHandler, run

BREAKS = "LPJ-JSON-2"


class Handler(LPJHandler):
    def encode_response(self, response):
        return b"\xef\xbb\xbf" + super().encode_response(response)  # BUG: never start a body with a BOM


if __name__ == "__main__":
    run(Handler)
