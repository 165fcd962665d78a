"""Events: the event class, the hub dispatching them, subscriptions and subscribers."""

from __future__ import annotations
