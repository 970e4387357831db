"""What every fake API server in tests/fakes/ shares: a loopback HTTP server in a daemon thread
and a quiet handler that reads JSON bodies and writes JSON or Server-Sent Events.

Why one module: the fakes differ only in the protocol they speak; the server plumbing (bind to
127.0.0.1 on a free port, start/stop, ``with`` block) and the HTTP chores were copied in each.
"""

from __future__ import annotations

import abc
import gzip
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

S = TypeVar("S", bound="LoopbackServer")


class LoopbackServer(abc.ABC):
    """Runs :meth:`handler` on 127.0.0.1 (a free port) in a daemon thread: ``with Fake() as s``.

    Subclasses call ``super().__init__()`` and share ``self._lock`` with their handler.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @abc.abstractmethod
    def handler(self) -> type[BaseHTTPRequestHandler]:
        """The request handler class of this fake's protocol (each fake defines its own)."""

    def start(self: S) -> S:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self: S) -> S:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return int(self._server.server_address[1])

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:<port>`` with no path."""
        return f"http://127.0.0.1:{self.port}"


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 handler with no request log on stderr, plus the JSON and SSE chores."""

    protocol_version = "HTTP/1.1"
    #: Unpack ``Content-Encoding: gzip`` request bodies (Claude Code may compress them).
    gunzip = False

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass

    def header_dict(self) -> dict[str, str]:
        """The request headers, names lower-cased."""
        return {k.lower(): v for k, v in self.headers.items()}

    def read_json(self, *, text_fallback: bool = True) -> Any:
        """The parsed JSON body; None when empty; when not JSON, its text (or None)."""
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return None
        if self.gunzip and self.headers.get("Content-Encoding", "") == "gzip":
            raw = gzip.decompress(raw)
        try:
            return json.loads(raw)
        except ValueError:
            return raw.decode("utf-8", "replace") if text_fallback else None

    def send_json(self, obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def start_sse(self, headers: dict[str, str] | None = None) -> None:
        """A 200 ``text/event-stream`` answer that ends when the connection closes."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.close_connection = True

    def send_sse(self, data: Any, event: str | None = None, newline: str = "\n") -> None:
        """One event: ``event:`` line when named, ``data:`` JSON (a str is sent as is)."""
        text = data if isinstance(data, str) else json.dumps(data)
        head = f"event: {event}{newline}" if event is not None else ""
        self.wfile.write(f"{head}data: {text}{newline}{newline}".encode())
        self.wfile.flush()


class ScriptedServer(LoopbackServer):
    """A fake whose text replies come from a queue (then ``default``), or from
    ``responder(body)`` when given; ``chunk_size`` is how much text one streamed chunk carries."""

    def __init__(
        self,
        replies: list[str] | None,
        default: str,
        responder: Callable[[Any], str] | None,
        chunk_size: int,
    ) -> None:
        super().__init__()
        self._queue = list(replies or [])
        self.default = default
        self.responder = responder
        self.chunk_size = chunk_size

    def _next_reply(self, body: Any) -> str:
        if self.responder is not None:
            return self.responder(body)
        with self._lock:
            return self._queue.pop(0) if self._queue else self.default
