"""The HTTP transport against a tiny local HTTP server."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from clapboard import exception
from clapboard.codec import plain_hook
from clapboard.transport import HttpTransport


def decode(content):
    return json.loads(content, object_hook=plain_hook)


class Server:
    """Answer each POST with the next scripted (status, body) and record requests."""

    def __init__(self):
        self.answers = []
        self.requests = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("content-length", 0))
                owner.requests.append((self.path, dict(self.headers), self.rfile.read(length)))
                status, body = owner.answers.pop(0) if owner.answers else (200, "[]")
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_port}/prefix/"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def server():
    server = Server()
    yield server
    server.stop()


def transport_for(server, **options):
    options.setdefault("backoff", 0)
    return HttpTransport(server.url, "martin", "secret", **options)


def test_request_shape(server):
    server.answers.append((200, [{"ok": True}]))
    transport = transport_for(server, headers={"x-extra": "1"}, cookies={"c": "v"}, strict_api=True)
    assert transport.call(b'[{"action": "query_server_information"}]', decode, idempotent=True) == [{"ok": True}]
    path, headers, body = server.requests[0]
    assert path == "/prefix/api"
    assert headers["ftrack-user"] == "martin" and headers["ftrack-api-key"] == "secret"
    assert headers["ftrack-strict-api"] == "true"
    assert headers["content-type"] == "application/json" and headers["accept"] == "application/json"
    assert headers["x-extra"] == "1" and "c=v" in headers["Cookie"]
    assert body == b'[{"action": "query_server_information"}]'
    assert transport.call_count == 1


def test_server_error_objects_become_errors(server):
    transport = transport_for(server)
    server.answers.append((200, {"exception": "ValidationError", "content": "bad {value}", "error_code": None}))
    with pytest.raises(exception.ServerValidationError) as error:
        transport.call(b"[]", decode, idempotent=False)
    assert str(error.value) == "Server reported error: ValidationError(bad {value})"
    server.answers.append((401, {"exception": "InvalidCredentialsError", "content": "no"}))
    with pytest.raises(exception.AuthenticationError):
        transport.call(b"[]", decode, idempotent=True)
    server.answers.append((200, "not json"))
    with pytest.raises(exception.ServerError, match="unexpected format"):
        transport.call(b"[]", decode, idempotent=False)
    server.answers.append((500, "<html>oops</html>"))
    with pytest.raises(exception.ServerError, match="HTTP 500"):
        transport.call(b"[]", decode, idempotent=False)
    server.answers.append((404, {"unexpected": 1}))
    with pytest.raises(exception.ServerError, match="404"):
        transport.call(b"[]", decode, idempotent=False)


def test_reads_are_retried_on_gateway_errors(server):
    transport = transport_for(server, max_retries=2)
    server.answers += [(503, "busy"), (502, "busy"), (200, [1])]
    assert transport.call(b"[]", decode, idempotent=True) == [1]
    assert len(server.requests) == 3
    server.answers += [(503, "busy")] * 3
    with pytest.raises(exception.ServerError):
        transport.call(b"[]", decode, idempotent=True)
    assert len(server.requests) == 6


def test_writes_are_not_retried_blindly(server):
    transport = transport_for(server)
    server.answers += [(503, "busy"), (200, [1])]
    with pytest.raises(exception.ServerError):
        transport.call(b"[]", decode, idempotent=False)
    assert len(server.requests) == 1


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_refused_connections_are_retried_quickly_then_raised():
    url = f"http://127.0.0.1:{free_port()}"
    transport = HttpTransport(url, "u", "k", backoff=0.5, max_retries=2)
    sleeps = []
    transport._sleep = sleeps.append
    with pytest.raises(exception.ServerConnectionError) as error:
        transport.call(b"[]", decode, idempotent=False)  # never sent: safe to retry a write
    assert sleeps == [0.1, 0.2]
    assert str(error.value) == f"Cannot reach the server at {url}: connection refused. Is the server running?"
    assert isinstance(error.value, requests.exceptions.ConnectionError)  # as the ftrack client raised
    assert isinstance(error.value, ConnectionError)


def test_timeouts(server):
    transport = transport_for(server, timeout=0.5)
    assert transport.timeout == 0.5
    transport.close()
