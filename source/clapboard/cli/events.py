"""``clapboard events listen [EXPRESSION]``: print events as they arrive."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from typing import Any

from ._connection import add_connection_arguments, connect
from ._output import to_json


def _line(event: Any) -> str:
    """Return *event* as one line of JSON: topic, data, source, id and sent time."""
    data = {
        "topic": event["topic"],
        "data": to_json(dict(event["data"] or {})),
        "source": to_json(dict(event["source"] or {})),
        "id": event["id"],
        "sent": to_json(event.get("sent")),
    }
    return json.dumps(data, default=str)


def _listen(arguments: argparse.Namespace) -> int:
    stop = threading.Event()
    received = 0

    def show(event: Any) -> None:
        nonlocal received
        if stop.is_set():  # --count reached: events handled in the same wait are not shown
            return
        if str(event["topic"]).startswith("ftrack.meta.") and "ftrack.meta" not in arguments.expression:
            return  # the hub's own connection notices, unless asked for
        print(_line(event), flush=True)
        received += 1
        if arguments.count and received >= arguments.count:
            stop.set()

    previous = {signum: signal.signal(signum, lambda *_: stop.set()) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        with connect(arguments) as session:
            hub = session.event_hub
            hub.connect()
            hub.subscribe(arguments.expression, show)
            hub.flush()  # the server knows the subscription: nothing published from now on is missed
            print(f"Listening for events matching {arguments.expression!r} (Ctrl+C to stop).", file=sys.stderr,
                  flush=True)
            while not stop.is_set():
                hub.wait(0.2)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``events`` (with ``events listen``) to the ``clapboard`` command."""
    events = commands.add_parser("events", help="work with the server's events",
                                 description="Work with the server's events.")
    actions = events.add_subparsers(dest="events_command", required=True, metavar="ACTION")
    listen = actions.add_parser(
        "listen",
        help="print events as they arrive",
        description="Subscribe to the events matching EXPRESSION (default: every event) and print "
        "each as one line of JSON (topic, data, source, id, sent) as it arrives, until "
        "interrupted. Expressions are those of event subscriptions, e.g. 'topic=ftrack.update' "
        "or 'topic=my.* and data.shot=sh010'.",
    )
    listen.add_argument("expression", metavar="EXPRESSION", nargs="?", default="topic=*",
                        help="subscription expression (default: topic=*)")
    listen.add_argument("--count", type=int, default=0, metavar="N", help="stop after N events")
    add_connection_arguments(listen)
    listen.set_defaults(run=_listen)
