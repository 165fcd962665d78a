"""``clapboard server`` and ``clapboard demo``: run a server, or a demo against an embedded one."""

from __future__ import annotations

import argparse
import ipaddress
import signal
import sys
import threading


def _server(arguments: argparse.Namespace) -> int:
    try:
        from clapboard_server import embedded
    except ImportError:
        print('The server needs its extras: pip install "clapboard[server]"', file=sys.stderr)
        return 2
    from clapboard_server.limits import Limits
    try:
        limits = dict(Limits.parse_assignment(text) for text in arguments.limit or ())
    except ValueError as error:
        print(f"--limit: {error}", file=sys.stderr)
        return 2
    handle = embedded.start(
        data_dir=arguments.data_dir, database=arguments.database, host=arguments.host, port=arguments.port,
        **limits,
    )
    print(f"clapboard server listening on {handle.server_url}")
    print(f"  data folder: {handle.data_dir}")
    print(f"  API user:    {handle.api_user}")
    if handle.server.new_admin_key:
        print(f"  API key:     {handle.api_key}   (shown once; also in {handle.data_dir / 'admin-api-key'})")
    elif handle.api_key:
        print(f"  API key:     in {handle.data_dir / 'admin-api-key'}")
    else:
        print(f"  API key:     not known here; issue one with: clapboard key reset {handle.api_user}")
    if not is_loopback(arguments.host):
        print(plain_http_warning(arguments.host, handle.port), file=sys.stderr)
    print("Press Ctrl+C to stop.")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    handle.stop()
    return 0


def is_loopback(host: str) -> bool:
    """Whether ``host`` is only reachable from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plain_http_warning(host: str, port: int) -> str:
    """The warning printed when the server listens beyond this machine without TLS."""
    return (
        f"WARNING: listening on {host} without TLS: API keys and data cross the network in clear text.\n"
        f"  Put a TLS-terminating proxy in front and keep the server on loopback, e.g. with Caddy:\n"
        f"    clapboard server --host 127.0.0.1 --port {port}\n"
        f"    caddy reverse-proxy --from tracking.example.com --to 127.0.0.1:{port}\n"
        f"  (or nginx: proxy_pass http://127.0.0.1:{port}; with proxy_http_version 1.1 and the\n"
        f"  Upgrade/Connection headers for the event hub's WebSocket)."
    )


def _demo(arguments: argparse.Namespace) -> int:
    from clapboard.demo import run
    return run(data_dir=arguments.data_dir, database=arguments.database)


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``server`` and ``demo`` to the ``clapboard`` command."""
    server = commands.add_parser("server", help="run a clapboard server until interrupted")
    server.add_argument("--data-dir", help="folder for the database and files (default: ./clapboard-data)",
                        default="clapboard-data")
    server.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    server.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080; 0 picks one)")
    server.add_argument("--database", help="SQLAlchemy URL, e.g. postgresql://user@host/db (default: SQLite)")
    server.add_argument("--limit", action="append", metavar="NAME=VALUE",
                        help="change one of the server's limits, e.g. --limit max_body_bytes=1000000 "
                             "(repeatable; see the limits guide, or CLAPBOARD_SERVER_<NAME> variables)")
    server.set_defaults(run=_server)
    demo = commands.add_parser("demo", help="build a small project on an embedded server and report on it")
    demo.add_argument("--data-dir", help="keep the demo's data in this folder (default: temporary)")
    demo.add_argument("--database", help="SQLAlchemy URL of the database (default: SQLite)")
    demo.set_defaults(run=_demo)
