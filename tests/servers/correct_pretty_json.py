"""Writes responses as indented JSON (tabs, CR LF) with whitespace before and after the value, all non-ASCII escaped.

Still conformant: RFC 8259 allows insignificant whitespace (space, tab, LF, CR) around any token,
including before and after the top-level value; L counts all of it.
"""

import json

from _base import LPJHandler, run

BREAKS = None


class Handler(LPJHandler):
    def encode_response(self, response):
        text = json.dumps(response, indent="\t", ensure_ascii=True, allow_nan=False).replace("\n", "\r\n")
        return (" \r\n" + text + "\n\t ").encode("ascii")


if __name__ == "__main__":
    run(Handler)
