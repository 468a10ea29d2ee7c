"""Reference implementation of LPJ-RPC/1: the sans-IO core, six server models, a client and the lpj command."""

__version__ = "0.1.0"
