"""A mail server on 127.0.0.1 speaking just enough SMTP for Django's smtp backend.

It accepts EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP and QUIT and keeps every message it
accepted. It can be told to refuse the next messages, at their RCPT or at the end of their
DATA, with any reply (a 451 to come back later, a 550 for an unknown mailbox), and to stall:
the next message's end of DATA (the moment a real server filters and queues it) is answered
only after a delay, the way a slow or overloaded mail server behaves. The message has then
fully arrived; the client still waits for the reply.
"""

from __future__ import annotations

import email
import socketserver
import threading
import time
from dataclasses import dataclass
from email.message import Message


@dataclass(frozen=True)
class Accepted:
    recipients: tuple[str, ...]
    message: Message
    at: float  # time.monotonic() when the server answered 250


class FakeSMTP:
    def __init__(self):
        self.accepted: list[Accepted] = []
        self.stall_started = threading.Event()
        self._stall_seconds = 0.0
        self._rejections = 0
        self._reject_reply, self._reject_at = "", "DATA"
        self._lock = threading.Lock()
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> FakeSMTP:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def stall_next(self, seconds: float) -> None:
        self._stall_seconds = seconds

    def reject_next(
        self, count: int = 1, *, reply: str = "451 try again later", at: str = "DATA"
    ) -> None:
        """Answer the next `count` messages with `reply` instead of 250: at the end of their
        DATA (the default, a temporary failure), or at their first RCPT (`at="RCPT"`)."""
        with self._lock:
            self._rejections, self._reject_reply, self._reject_at = count, reply, at

    def _rejects(self, verb: str) -> str | None:
        """The refusal for this message at `verb`, if it is to be refused there."""
        with self._lock:
            if self._rejections <= 0 or self._reject_at != verb:
                return None
            self._rejections -= 1
            return self._reject_reply

    def subjects(self) -> list[str]:
        with self._lock:
            return [str(a.message["Subject"]) for a in self.accepted]

    def _end_of_data(self, recipients, raw: bytes) -> None:
        with self._lock:
            stall, self._stall_seconds = self._stall_seconds, 0.0
        if stall:
            self.stall_started.set()
            time.sleep(stall)
        with self._lock:
            self.accepted.append(
                Accepted(tuple(recipients), email.message_from_bytes(raw), time.monotonic())
            )


def _handler_for(fake: FakeSMTP):
    class Handler(socketserver.StreamRequestHandler):
        def reply(self, line: str) -> None:
            self.wfile.write(line.encode() + b"\r\n")
            self.wfile.flush()

        def handle(self):
            self.reply("220 fake-smtp ready")
            recipients: list[str] = []
            while line := self.rfile.readline():
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    self.reply("250 fake-smtp")
                elif verb == b"MAIL":
                    recipients = []
                    self.reply("250 sender ok")
                elif verb == b"RCPT":
                    if refusal := fake._rejects("RCPT"):
                        self.reply(refusal)
                        continue
                    recipients.append(line.split(b":", 1)[1].strip(b" <>\r\n").decode())
                    self.reply("250 recipient ok")
                elif verb == b"DATA":
                    self.reply("354 end with <CRLF>.<CRLF>")
                    lines = []
                    while (data := self.rfile.readline()) not in (b".\r\n", b""):
                        lines.append(data[1:] if data.startswith(b".") else data)
                    if refusal := fake._rejects("DATA"):
                        self.reply(refusal)
                    else:
                        fake._end_of_data(recipients, b"".join(lines))
                        self.reply("250 queued")
                elif verb == b"QUIT":
                    self.reply("221 bye")
                    return
                else:  # RSET, NOOP
                    self.reply("250 ok")

    return Handler
