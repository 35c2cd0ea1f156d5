"""A chat receiver on 127.0.0.1 that answers like a Slack incoming webhook (200 "ok").

It keeps the JSON body of every POST and can be told to misbehave for the next requests:
answer 500, hold the answer back beyond the client's timeout, or reply with bytes that are
not HTTP at all.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

OK, ERROR, HANG, GARBAGE = "ok", "500", "hang", "garbage"


class FakeChat:
    def __init__(self):
        self.received: list[dict] = []  # bodies of the posts it answered "ok"
        self.requests = 0  # every post, whatever the answer
        self._modes: deque[str] = deque()
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}/services/T000/B000/XXXX"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> FakeChat:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def fail_next(self, *modes: str) -> None:
        """Answer the next requests in these modes (ERROR, HANG, GARBAGE), then "ok" again."""
        with self._lock:
            self._modes.extend(modes)

    def _next_mode(self) -> str:
        with self._lock:
            self.requests += 1
            return self._modes.popleft() if self._modes else OK


def _handler_for(fake: FakeChat) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            mode = fake._next_mode()
            if mode == HANG:
                fake._release.wait(30)
                return
            if mode == GARBAGE:
                self.wfile.write(b"\x00\x17 not an HTTP answer \xff\r\n\r\n")
                return
            if mode == ERROR:
                self._answer(500, b"internal_error")
                return
            if self.headers.get("Content-Type") != "application/json":
                self._answer(400, b"invalid_payload")
                return
            with fake._lock:
                fake.received.append(json.loads(body))
            self._answer(200, b"ok")

        def _answer(self, status: int, text: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, *args):  # keep test output quiet
            pass

    return Handler
