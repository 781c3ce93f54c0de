"""A standalone HTTP server for the fake Attentive, fast enough to benchmark a sender against.

Each response leaves in a single ``sendall`` on a ``TCP_NODELAY`` socket: a server that
writes headers and body separately stalls ~40 ms per response when Nagle's algorithm
meets the client's delayed ACK, which would cap a benchmark far below its real ceiling.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import cast

from .core import FakeAttentive, FakeResponse, error_response
from .core import fake as default_fake


def _render(response: FakeResponse, *, keep_alive: bool, head: bool) -> bytes:
    """Serialise a response (status line, headers and body) into one buffer."""
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = ""
    lines = [f"HTTP/1.1 {response.status} {reason}"]
    lines += [f"{name}: {value}" for name, value in response.headers.items()]
    lines.append(f"Content-Length: {len(response.body)}")
    lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
    head_bytes = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head_bytes if head else head_bytes + response.body


def _host_port(server: socketserver.TCPServer) -> tuple[str, int]:
    # typeshed types server_address for every socket family; a TCP server's is (host, port, ...).
    address = cast("tuple[str, int] | tuple[str, int, int, int]", server.server_address)
    return address[0], address[1]


class _Handler(BaseHTTPRequestHandler):
    """Hands every request to the server's ``FakeAttentive`` and writes its answer in one go."""

    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 300

    def _serve(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self._write(error_response(400, "Bad Content-Length"), keep_alive=False)
            return
        body = self.rfile.read(length) if length else b""
        response = self.server.fake.handle(self.command, self.path, self.headers, body)
        if response.drop:
            self.close_connection = True
            return
        self._write(response, keep_alive=not self.close_connection)

    def _write(self, response: FakeResponse, *, keep_alive: bool) -> None:
        if not keep_alive:
            self.close_connection = True
        buffer = _render(response, keep_alive=keep_alive, head=self.command == "HEAD")
        self.connection.sendall(buffer)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: a benchmark sends tens of thousands of requests."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], fake: FakeAttentive) -> None:
        self.fake = fake
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without ``HTTPServer``'s reverse-DNS lookup of the host, which can take seconds."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = _host_port(self)

    def get_request(self) -> tuple[socket.socket, tuple[str, int]]:
        sock, address = super().get_request()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._open_lock:
            self._open.add(sock)
        return sock, address

    # A TCP server's requests are sockets, never a UDP server's (bytes, socket) pairs.
    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_open_connections(self) -> None:
        """Hang up on idle keep-alive clients so a stopped server really stops answering."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: object
    ) -> None:
        """Ignore clients that hang up mid-request; report anything else."""
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class FakeAttentiveServer:
    """Serve a ``FakeAttentive`` over HTTP/1.1 in a background thread.

    ``with FakeAttentiveServer() as server: ...`` or ``server.start()`` / ``server.stop()``;
    point ``ATTENTIVE["BASE_URL"]`` at ``server.url``.
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, fake: FakeAttentive | None = None
    ) -> None:
        self.host = host
        self.port = port
        self.fake = fake if fake is not None else default_fake
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:8025``; only known once started."""
        if self._server is None:
            raise RuntimeError("The fake Attentive server is not running; call start() first.")
        host, port = _host_port(self._server)
        return f"http://{host}:{port}"

    def start(self) -> str:
        """Start serving in a daemon thread and return the base URL."""
        if self._server is not None:
            return self.url
        self._server = _Server((self.host, self.port), self.fake)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"fake-attentive:{self._server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        """Stop accepting, hang up on open connections and release the port."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        server.shutdown()
        server.close_open_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeAttentiveServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
