"""Decodes bodies as "utf-8-sig", silently skipping a leading byte-order mark.

On the wire: a ping whose body starts with ef bb bf gets a pong instead of -32700. A SHOULD:
a kit warns (fails only under --strict).
"""

from _base import LPJHandler, run

BREAKS = "LPJ-JSON-4"


class Handler(LPJHandler):
    def parse_body(self, body):
        if body.startswith(b"\xef\xbb\xbf"):
            body = body[3:]  # BUG: a BOM should get -32700
        return super().parse_body(body)


if __name__ == "__main__":
    run(Handler)
