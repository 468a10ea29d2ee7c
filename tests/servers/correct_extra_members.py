"""Adds members the client does not know: "id", "server" and "x-trace" in every response, "data" and
"retry" in error objects.

Still conformant: LPJ-RESP-2 obliges clients to ignore unknown response members, and LPJ-ERR-1
allows an optional "data" member of any value in the error object (other members are ignored too).
"""

from _base import LPJHandler, run

BREAKS = None


class Handler(LPJHandler):
    def setup(self):
        super().setup()
        self.sent = 0

    def reply(self, out, result):
        self.sent += 1
        return {"id": self.sent, "out": out, "result": result, "server": "zoo/extra-members", "x-trace": None}

    def error(self, code, message):
        response = super().error(code, message)
        response["result"]["data"] = {"hint": "see LPJ-RPC/1 section 8", "codes": [code]}
        response["result"]["retry"] = False
        return response


if __name__ == "__main__":
    run(Handler)
