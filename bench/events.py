"""Events through the embedded server: clapboard's event hub against raw websocket clients.

One publisher process sends events to one subscriber process through one embedded server
(in this process). Measured for clapboard's ``EventHub`` and, as the anchor, for minimal
raw socket.io clients (websocket-client sending and reading the same frames, nothing else),
and with ``--ftrack`` for ftrack-python-api 3.1.0's hub (in the virtual environment the
compatibility tests build), in the same run, each several times (medians printed):

- throughput: a burst of events published as fast as possible; events per second from the
  first publish to the last event handled by the subscriber;
- latency: events published one every few milliseconds; the median and 90th percentile of
  the time from publishing to the subscriber's callback (one monotonic clock: same machine).

    python bench/events.py [--events 5000] [--latency-events 300] [--repeat 3] [--ftrack]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TOPIC = "bench.events"
TIMEOUT = 120
NAMES = {"raw": "raw websocket", "ftrack": "ftrack 3.1.0"}


# -- workers (run in their own processes) -----------------------------------------------------------


def event_data(phase: str, index: int) -> dict:
    return {"phase": phase, "index": index, "sent": time.monotonic(), "payload": {"entityId": uuid.uuid4().hex}}


class RawClient:
    """A socket.io 0.9 client in a few lines: the floor any client pays."""

    def __init__(self, server_url: str, user: str, key: str) -> None:
        import requests
        import websocket

        answer = requests.get(f"{server_url}/socket.io/1/", headers={"ftrack-user": user, "ftrack-api-key": key},
                              timeout=30)
        session_id = answer.text.split(":")[0]
        url = server_url.replace("http", "ws", 1) + f"/socket.io/1/websocket/{session_id}"
        self.socket = websocket.create_connection(url, timeout=60, skip_utf8_validation=True)
        self.hub_id = uuid.uuid4().hex
        self.user = user
        self.message_id = 0

    def emit(self, event: dict) -> None:
        self.message_id += 1
        self.socket.send(f"5:{self.message_id}+::" + json.dumps({"name": "ftrack.event", "args": [event]},
                                                                 ensure_ascii=False))

    def publish(self, topic: str, data: dict) -> None:
        self.emit({"id": uuid.uuid4().hex, "topic": topic, "data": data, "target": "", "sent": None,
                   "inReplyToEvent": None, "source": {"id": self.hub_id, "user": {"username": self.user}}})

    def frames(self):
        """Yield event objects received; answer heartbeats."""
        while True:
            frame = self.socket.recv()
            if frame == "2::":
                self.socket.send("2:::")
            elif frame.startswith("5:"):
                yield json.loads(frame.split(":", 3)[3])["args"][0]
            elif not frame or frame == "0::":
                return

    def drain(self) -> None:
        """Read (and drop) everything the server sends, in a thread."""
        threading.Thread(target=lambda: [None for _ in self.frames()], daemon=True).start()


def subscriber(client: str, server_url: str, user: str, key: str, events: int, latency_events: int) -> dict:
    received: dict[str, list[tuple[int, float, float]]] = {"throughput": [], "latency": []}
    expected = {"throughput": events, "latency": latency_events}
    done = threading.Event()

    def on_event(event) -> None:
        data = event["data"]
        phase = received[data["phase"]]
        phase.append((data["index"], data["sent"], time.monotonic()))
        if len(phase) == expected[data["phase"]]:
            print(f"DONE {data['phase']}", flush=True)
            if data["phase"] == "latency":
                done.set()

    deadline = time.monotonic() + TIMEOUT
    if client == "raw":
        raw = RawClient(server_url, user, key)
        raw.emit({"topic": "ftrack.meta.subscribe", "data": {"subscriber": {"id": raw.hub_id},
                                                               "subscription": f"topic={TOPIC}"}})
        while not raw.socket.recv().startswith("6:::1+"):
            pass
        print("READY", flush=True)
        for event in raw.frames():
            on_event(event)
            if done.is_set() or time.monotonic() > deadline:
                break
    else:
        hub = connect_hub(client, server_url, user, key)
        hub.subscribe(f"topic={TOPIC}", on_event)
        synchronise(hub)
        print("READY", flush=True)
        while not done.is_set() and time.monotonic() < deadline:
            hub.wait(0.05)
        hub.disconnect()
    return received


def connect_hub(client: str, server_url: str, user: str, key: str):
    """Return a connected event hub of *client* (``clapboard`` or ``ftrack``)."""
    if client == "clapboard":
        from clapboard.event.hub import EventHub
    else:
        from ftrack_api.event.hub import EventHub
    hub = EventHub(server_url, user, key)
    hub.connect()
    return hub


def new_event(client: str, topic: str, data: dict):
    if client == "clapboard":
        from clapboard.event.base import Event
    else:
        from ftrack_api.event.base import Event
    return Event(topic, data=data)


def synchronise(hub) -> None:
    """Return once the server has handled everything *hub* sent (ftrack's hub has no ``flush``)."""
    if hasattr(hub, "flush"):
        assert hub.flush(30)
        return
    seen = []
    topic = f"bench.barrier.{uuid.uuid4().hex}"
    hub.subscribe(f"topic={topic}", seen.append)
    hub.publish(new_event("ftrack", topic, {}))
    deadline = time.monotonic() + 30
    while not seen:
        assert time.monotonic() < deadline, "no barrier event"
        hub.wait(0.01)


def publisher(client: str, server_url: str, user: str, key: str, events: int, latency_events: int,
              pace: float) -> dict:
    if client == "raw":
        raw = RawClient(server_url, user, key)
        raw.drain()
        publish = raw.publish
    else:
        hub = connect_hub(client, server_url, user, key)
        synchronise(hub)

        def publish(topic: str, data: dict) -> None:
            hub.publish(new_event(client, topic, data))

    started = time.monotonic()
    for index in range(events):
        publish(TOPIC, event_data("throughput", index))
    published = time.monotonic()
    print("PUBLISHED", flush=True)
    sys.stdin.readline()  # the subscriber has handled the burst
    for index in range(latency_events):
        publish(TOPIC, event_data("latency", index))
        time.sleep(pace)
    if client != "raw":
        synchronise(hub)
        hub.disconnect()
    return {"started": started, "published": published}


# -- the benchmark ------------------------------------------------------------------------------------


class Process:
    def __init__(self, python: str, *arguments: str) -> None:
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("FTRACK_", "PYTHON"))}
        if python == sys.executable:
            environment["PYTHONPATH"] = str(ROOT / "source")
        self.process = subprocess.Popen([python, __file__, "--worker", *arguments], text=True, env=environment,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.strip())
        self.lines.put(None)

    def expect(self, prefix: str) -> str:
        while True:
            line = self.lines.get(timeout=TIMEOUT)
            if line is None:
                raise RuntimeError(f"worker exited before {prefix!r}")
            if line.startswith(prefix):
                return line

    def send(self, line: str) -> None:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def result(self) -> dict:
        line = self.expect("{")
        self.process.wait(TIMEOUT)
        return json.loads(line)


def run_once(server, client: str, python: str, events: int, latency_events: int, pace: float) -> dict:
    common = [server.server_url, server.api_user, server.api_key, str(events), str(latency_events)]
    receiving = Process(python, "subscriber", client, *common)
    receiving.expect("READY")
    sending = Process(python, "publisher", client, *common, str(pace))
    sending.expect("PUBLISHED")
    receiving.expect("DONE throughput")
    sending.send("go")
    received, sent = receiving.result(), sending.result()
    burst = received["throughput"]
    assert len(burst) == events and len(received["latency"]) == latency_events, "events were lost"
    latencies = sorted(handled - published for _, published, handled in received["latency"])
    return {
        "events_per_second": events / (max(handled for _, _, handled in burst) - sent["started"]),
        "publish_per_second": events / (sent["published"] - sent["started"]),
        "latency_median": statistics.median(latencies),
        "latency_p90": latencies[int(len(latencies) * 0.9)],
        "in_order": [index for index, _, _ in burst] == list(range(events)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--latency-events", type=int, default=300)
    parser.add_argument("--pace", type=float, default=0.003, help="seconds between latency events")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ftrack", action="store_true", help="also measure ftrack-python-api 3.1.0's event hub")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.worker:
        role, client, url, user, key, events, latency_events, *rest = arguments.worker
        if role == "subscriber":
            result = subscriber(client, url, user, key, int(events), int(latency_events))
        else:
            result = publisher(client, url, user, key, int(events), int(latency_events), float(rest[0]))
        print(json.dumps(result), flush=True)
        return

    from clapboard_server import embedded

    pythons = {"raw": sys.executable, "clapboard": sys.executable}
    if arguments.ftrack:
        sys.path.insert(0, str(ROOT / "test" / "compat"))
        from ftrack_harness import ftrack_python

        pythons["ftrack"] = str(ftrack_python())
    results: dict[str, list[dict]] = {client: [] for client in pythons}
    with embedded.start() as server:
        for _ in range(arguments.repeat):
            for client, runs in results.items():
                runs.append(run_once(server, client, pythons[client], arguments.events, arguments.latency_events,
                                     arguments.pace))

    def median(client: str, key: str) -> float:
        return statistics.median(run[key] for run in results[client])

    print(f"{arguments.events:,} events in a burst, {arguments.latency_events} paced events; "
          f"medians of {arguments.repeat} runs")
    others = [client for client in results if client != "clapboard"]
    print(f"{'':<44}{'clapboard':>11}" + "".join(f"{NAMES[c]:>14}{'ratio':>8}" for c in others))
    rows = [
        ("throughput, publish to handled (events/s)", "events_per_second", 1.0),
        ("publishing rate alone (events/s)", "publish_per_second", 1.0),
        ("latency, median (ms)", "latency_median", 1000.0),
        ("latency, 90th percentile (ms)", "latency_p90", 1000.0),
    ]
    for label, key, scale in rows:
        ours = median("clapboard", key) * scale
        cells = "".join(f"{median(c, key) * scale:14.2f}{ours / (median(c, key) * scale):7.2f}x" for c in others)
        print(f"{label:<44}{ours:11.2f}{cells}")
    print("events delivered in order:", all(run["in_order"] for runs in results.values() for run in runs))


if __name__ == "__main__":
    main()
