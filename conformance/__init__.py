"""The LPJ-RPC/1 conformance kit: ``pytest conformance --target HOST:PORT``.

An independent oracle: it shares nothing with the reference implementation
but the files in ``spec/`` (requirement IDs, JSON Schemas, test vectors), and
it talks to the server under test only over TCP, with its own strict wire code.
"""

__version__ = "0.1.0"
