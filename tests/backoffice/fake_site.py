"""A broken deployment on 127.0.0.1 for the smoke checks: every path answers what the test
set for it (status, body, content type, delay); unknown paths answer 404."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeSite:
    def __init__(self, routes: dict[str, tuple[int, str]], *, delay: float = 0.0):
        self.routes = routes  # path -> (status, body); a body starting with { is JSON
        self.delay = delay
        self.paths: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> FakeSite:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler_for(site: FakeSite):
    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            site.paths.append(self.path)
            time.sleep(site.delay)
            status, body = site.routes.get(self.path.split("?")[0], (404, "not here"))
            kind = "application/json" if body.startswith("{") else "text/html"
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    return Handler
