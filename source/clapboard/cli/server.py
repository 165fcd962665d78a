"""``clapboard server`` and ``clapboard demo``: run a server, or a demo against an embedded one."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import shlex
import signal
import sys
import threading

LOG_LEVELS = ("debug", "info", "warning", "error")


def add_storage_arguments(parser: argparse.ArgumentParser, default_data_dir: str | None = "clapboard-data") -> None:
    """Add ``--data-dir`` and ``--database``, the options naming a server's data."""
    default = f" (default: ./{default_data_dir})" if default_data_dir else ""
    parser.add_argument("--data-dir", default=default_data_dir,
                        help=f"folder for the database and stored files{default}")
    parser.add_argument("--database", metavar="URL",
                        help="SQLAlchemy URL of the database, e.g. postgresql://user@host/db "
                        "(default: SQLite in the data folder)")


def add_file_storage_options(parser: argparse.ArgumentParser) -> None:
    """``--storage`` and ``--storage-endpoint-url``, ``-region``, ``-public-url``: where component files live."""
    parser.add_argument("--storage", metavar="s3://BUCKET[/PREFIX]",
                        help="keep component files in an S3-compatible bucket (default: the data folder); "
                             "credentials from the AWS environment variables")
    parser.add_argument("--storage-endpoint-url", metavar="URL",
                        help="S3 endpoint (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, or AWS itself)")
    parser.add_argument("--storage-region", help="S3 region (default: AWS_DEFAULT_REGION)")
    parser.add_argument("--storage-public-url", metavar="URL",
                        help="S3 endpoint as clients reach it, when not the server's (in presigned URLs)")


def file_storage_arguments(arguments: argparse.Namespace) -> dict:
    """The ``storage`` and ``storage_options`` of a server from the ``--storage*`` options."""
    options = {"endpoint_url": arguments.storage_endpoint_url, "region_name": arguments.storage_region,
               "public_endpoint_url": arguments.storage_public_url}
    return {"storage": arguments.storage,
            "storage_options": {key: value for key, value in options.items() if value is not None}}


def configure_logging(level: str) -> None:
    """Log to standard error at *level*; ``info`` shows one line per request."""
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)


def _server(arguments: argparse.Namespace) -> int:
    try:
        from clapboard_server import embedded, workers
        from clapboard_server.folder_lock import FolderInUseError
        from clapboard_server.storage.s3 import StorageConfigurationError
    except ImportError:
        print('The server needs its extras: pip install "clapboard[server]"', file=sys.stderr)
        return 2
    from clapboard_server.limits import Limits
    try:
        limits = Limits.resolve(dict(Limits.parse_assignment(text) for text in arguments.limit or ()))
    except ValueError as error:
        print(f"--limit: {error}", file=sys.stderr)
        return 2
    configure_logging(arguments.log_level)
    stop = threading.Event()
    try:
        if arguments.workers > 1:
            supervisor = workers.Supervisor(arguments.data_dir, arguments.database, arguments.host,
                                            arguments.port, arguments.workers, limits=limits,
                                            **file_storage_arguments(arguments))
            server = supervisor.prepare()
            stop_serving = supervisor.stop
        else:
            handle = embedded.start(data_dir=arguments.data_dir, database=arguments.database,
                                    host=arguments.host, port=arguments.port, limits=limits,
                                    **file_storage_arguments(arguments))
            server, supervisor, stop_serving = handle.server, handle, stop.set
    except (embedded.PortInUseError, FolderInUseError, workers.WorkerError, StorageConfigurationError) as error:
        print(f"clapboard server: {error}", file=sys.stderr)
        return 1
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop_serving())
    _announce(supervisor.server_url, server, arguments)
    if arguments.workers > 1:
        print(f"Serving with {arguments.workers} worker processes.")
    print("Press Ctrl+C to stop.", flush=True)
    if arguments.workers > 1:
        try:
            supervisor.run()
        except workers.WorkerError as error:
            print(f"clapboard server: {error}", file=sys.stderr)
            return 1
    else:
        stop.wait()
        supervisor.stop()
    return 0


def _announce(server_url: str, server, arguments: argparse.Namespace) -> None:
    """Print where the server listens and the export lines that connect clients to it."""
    data_dir = server.data_dir.resolve()
    key_file = data_dir / "admin-api-key"
    print(f"clapboard server listening on {server_url}")
    print(f"  data folder: {data_dir}")
    if arguments.storage:
        print(f"  files:       {arguments.storage}")
    print("Connect clients (clapboard commands, scripts, the ftrack client) with:")
    print(f"  export CLAPBOARD_SERVER={shlex.quote(server_url)}")
    print(f"  export CLAPBOARD_API_USER={shlex.quote(server.admin_user)}")
    if server.new_admin_key:
        print(f"  export CLAPBOARD_API_KEY={shlex.quote(server.admin_key)}")
        print(f"The API key is new: it is shown this once and kept in {key_file}.")
    elif server.admin_key:
        print(f'  export CLAPBOARD_API_KEY="$(cat {shlex.quote(str(key_file))})"')
    else:
        print(f"The API key is not known here; issue one with: clapboard key reset {server.admin_user}")
    if not is_loopback(arguments.host):
        print(plain_http_warning(arguments.host, int(server_url.rsplit(":", 1)[1])), file=sys.stderr)


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
    return run(data_dir=arguments.data_dir, database=arguments.database, serve=arguments.serve)


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``server`` and ``demo`` to the ``clapboard`` command."""
    server = commands.add_parser(
        "server",
        help="run a clapboard server until interrupted",
        description="Run a clapboard server until interrupted (Ctrl+C). It prints the export lines "
        "that connect clients to it, and the administrator's API key when the key is new. The "
        "port is checked first: when it is taken, nothing is created.",
    )
    add_storage_arguments(server)
    server.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    server.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080; 0 picks one)")
    server.add_argument("--workers", type=int, default=1, metavar="N",
                        help="server processes sharing the port (default 1; more than 1 needs PostgreSQL)")
    server.add_argument("--limit", action="append", metavar="NAME=VALUE",
                        help="change one of the server's limits, e.g. --limit max_body_bytes=1000000 "
                             "(repeatable; see the limits guide, or CLAPBOARD_SERVER_<NAME> variables)")
    server.add_argument("--log-level", choices=LOG_LEVELS, default="info",
                        help="what to log on standard error: info (the default) logs one line per request")
    add_file_storage_options(server)
    server.set_defaults(run=_server)
    demo = commands.add_parser("demo", help="build a small project on an embedded server and report on it",
                               description="Build a small project on an embedded server and report on it.")
    add_storage_arguments(demo, default_data_dir=None)
    demo.add_argument("--serve", action="store_true",
                      help="keep the server running afterwards (until Ctrl+C), to open the web view")
    demo.set_defaults(run=_demo)
