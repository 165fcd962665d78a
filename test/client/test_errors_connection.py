"""Errors that help: reaching the server and configuring a session."""

import socket
import time

import clapboard
import pytest
import requests
from clapboard import exception

pytestmark = pytest.mark.backends("sqlite")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Attempts:
    """Count the HTTP requests sessions make."""

    def __init__(self, monkeypatch):
        self.call_count = 0
        post = requests.Session.post

        def counting(http, *args, **kwargs):
            self.call_count += 1
            return post(http, *args, **kwargs)

        monkeypatch.setattr(requests.Session, "post", counting)


def test_refused_connection_names_the_url_and_fails_within_two_seconds(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(exception.ServerConnectionError) as error:
        clapboard.Session(url, "key", "user", schema_cache_path=False)  # default settings otherwise
    elapsed = time.monotonic() - started
    assert elapsed < 2
    assert str(error.value) == f"Cannot reach the server at {url}: connection refused. Is the server running?"
    assert isinstance(error.value, exception.Error)


def test_https_to_an_http_server_is_not_retried(server, monkeypatch):
    spy = Attempts(monkeypatch)
    url = server.server_url.replace("http://", "https://")
    with pytest.raises(exception.ServerConnectionError) as error:
        clapboard.Session(url, server.api_key, server.api_user, schema_cache_path=False)
    assert spy.call_count == 1
    message = str(error.value)
    assert message.startswith(f"Cannot reach the server at {url}: the TLS (https) handshake failed")
    assert "use an http:// URL" in message


def test_unknown_host_is_not_retried(monkeypatch):
    spy = Attempts(monkeypatch)
    url = "http://no-such-host.invalid:8080"
    resolve = socket.getaddrinfo

    def no_such_host(host, *args, **kwargs):  # the resolver's answer, without depending on the network's DNS
        if host == "no-such-host.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    with pytest.raises(exception.ServerConnectionError) as error:
        clapboard.Session(url, "key", "user", schema_cache_path=False)
    assert spy.call_count == 1
    assert str(error.value) == f"Cannot reach the server at {url}: unknown host name (check the URL)"


def test_a_timeout_bounds_all_retries():
    """A server that accepts but never answers: the request ends within the timeout, retries included."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    try:
        started = time.monotonic()
        with pytest.raises(exception.ServerConnectionError) as error:
            clapboard.Session(url, "key", "user", schema_cache_path=False, timeout=0.3)
        assert time.monotonic() - started < 1.0
    finally:
        listener.close()
    assert str(error.value) == (
        f"Cannot reach the server at {url}: the server did not answer within 0.3 s (the timeout option)"
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("localhost:8080", "key", "user"),
         ("server_url 'localhost:8080' must start with http:// or https:// and name a host, "
          "e.g. 'http://localhost:8080'.")),
        (("ftp://host", "key", "user"),
         "server_url 'ftp://host' must start with http:// or https:// and name a host, e.g. 'http://host'."),
        (("http://host", {"key": "value"}, "user"), "api_key must be a string, got dict: {'key': 'value'}."),
        (("http://host", "key", 42), "api_user must be a string, got int: 42."),
        (("http://host", "key\n", "user"), "api_key 'key\\n' is empty or has surrounding spaces or line breaks."),
    ],
)
def test_unusable_settings_fail_at_construction(arguments, message, monkeypatch):
    spy = Attempts(monkeypatch)
    with pytest.raises(exception.ConfigurationError) as error:
        clapboard.Session(*arguments, schema_cache_path=False)
    assert str(error.value) == message
    assert isinstance(error.value, ValueError) and isinstance(error.value, TypeError)
    assert spy.call_count == 0


def test_file_transfers_to_a_stopped_server_name_the_url_and_the_cause(server_factory, tmp_path):
    from clapboard.accessor.server import ServerAccessor

    source = tmp_path / "plate.exr"
    source.write_bytes(b"pixels")
    with server_factory("sqlite") as running:
        session = clapboard.Session(running.server_url, running.api_key, running.api_user, schema_cache_path=False)
        location = session.query('Location where name is "ftrack.server"').one()
        component = session.create_component(str(source), location=location)
        accessor = ServerAccessor(session)  # default retries and backoff
    started = time.monotonic()
    with pytest.raises(exception.AccessorOperationFailedError) as error:
        accessor.open(component["id"], "rb")
    assert time.monotonic() - started < 2
    assert str(error.value) == (
        f"Operation get failed: Cannot reach the server at {running.server_url}: connection refused. "
        "Is the server running?"
    )
    assert isinstance(error.value.details["error"], exception.ServerConnectionError)
    session.close()
