"""A database restart as the application sees it, without touching the shared PostgreSQL.

`DatabaseProxy` is a TCP proxy on 127.0.0.1 in front of the test database's server. The
processes under test connect through it (`proxied_url()`); the test itself keeps its own direct
connection, so it can look at the database while the application cannot. `restart()` does
what a PostgreSQL restart does to its clients: every open connection is cut (a transaction in
flight is lost, and the server rolls it back), new connections are refused while it is down,
and then accepted again on the same address.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from django.db import connection

from tests.gunicorn_server import free_port


class DatabaseProxy:
    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.port = free_port()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None

    def start(self) -> DatabaseProxy:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        self._acceptor = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._acceptor.start()
        return self

    def stop(self) -> None:
        """Stop listening and cut every open connection: the server is down."""
        listener, self._listener = self._listener, None
        if listener is not None:
            # shutdown() wakes the blocked accept(); closing alone would leave it waiting.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
            self._acceptor.join(timeout=5)
        with self._lock:
            cut, self._open = self._open, set()
        for sock in cut:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def restart(self, *, down_seconds: float) -> None:
        """Cut every connection, refuse new ones for `down_seconds`, then accept again."""
        self.stop()
        time.sleep(down_seconds)
        self.start()

    def connections(self) -> int:
        with self._lock:
            return len(self._open) // 2

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # the listener was closed: the server went down
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                if self._listener is not listener:  # went down while connecting
                    client.close()
                    server.close()
                    return
                self._open.update((client, server))
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            # One side ended: end both, as a dropped TCP connection would.
            with self._lock:
                self._open.discard(source)
                self._open.discard(target)
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()


def proxied_url(proxy: DatabaseProxy) -> str:
    """DATABASE_URL of the test database, reached through `proxy`."""
    db = connection.settings_dict
    login = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{login}@127.0.0.1:{proxy.port}/{db['NAME']}"


def upstream() -> tuple[str, int]:
    db = connection.settings_dict
    return db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)
