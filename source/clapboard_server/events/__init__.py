"""The event hub: a socket.io 0.9 endpoint routing events between clients and server processes.

- :mod:`.endpoint` — the handshake and WebSocket routes;
- :mod:`.protocol`, :mod:`.packets` — socket.io frames; :mod:`.envelope` — the event object;
- :mod:`.hub` — sessions, subscriptions, publishing; :mod:`.router` — delivery rules;
- :mod:`.brokers`, :mod:`.postgres` — between processes; :mod:`.updates`, :mod:`.lineage` —
  ``ftrack.update`` after each commit.
"""

from .hub import EventHub

__all__ = ["EventHub"]
