"""A fixed pool of 2 worker threads, each accepting and serving one connection at a time (like a
prefork pool of 2); a third client waits in the listen backlog.

Still conformant: the spec demands no particular concurrency; the waiting connection is answered
as soon as one of the first two closes.
"""

import socketserver
import threading

from _base import LPJHandler, ServerOptions, run

BREAKS = None


class Server(ServerOptions, socketserver.TCPServer):
    workers = 2

    def serve_forever(self, poll_interval=0.5):
        threads = [threading.Thread(target=self.work, daemon=True) for _ in range(self.workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def work(self):
        while True:
            try:
                request, client_address = self.get_request()
            except OSError:
                return  # listening socket closed
            try:
                self.finish_request(request, client_address)
            except Exception:
                self.handle_error(request, client_address)
            finally:
                self.shutdown_request(request)


if __name__ == "__main__":
    run(LPJHandler, Server)
