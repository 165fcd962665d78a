"""The server's sockets: TCP_NODELAY on accepted connections (no Nagle stall on keep-alive)."""

import socket

import pytest
import requests
from clapboard_server import embedded
from clapboard_server.sockets import listening_socket


def accepted_sockets(handle):
    """The server side of every connection the embedded server has accepted."""
    connections = handle._uvicorn.server_state.connections
    return [protocol.transport.get_extra_info("socket") for protocol in connections]


@pytest.mark.backends("sqlite")
def test_accepted_connections_have_tcp_nodelay(server_factory, backend):
    with server_factory(backend) as handle:
        http = requests.Session()
        http.headers.update({"ftrack-user": handle.api_user, "ftrack-api-key": handle.api_key})
        for _ in range(2):  # the second request reuses the kept-alive connection
            answer = http.post(f"{handle.server_url}/api", json=[{"action": "query_server_information"}])
            assert answer.status_code == 200
        sockets = accepted_sockets(handle)
        assert len(sockets) == 1
        assert sockets[0].getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_listening_socket_is_tcp_and_picks_a_free_port():
    sock = listening_socket("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.getsockname()[1] > 0
    finally:
        sock.close()


def test_embedded_server_listens_on_ipv6_loopback(tmp_path):
    with embedded.start(data_dir=tmp_path, host="::1") as handle:
        assert handle.server_url.startswith("http://[::1]:")
        answer = requests.post(f"{handle.server_url}/api", json=[{"action": "query_server_information"}],
                               headers={"ftrack-user": handle.api_user, "ftrack-api-key": handle.api_key})
        assert answer.json()[0]["schema_hash"]
