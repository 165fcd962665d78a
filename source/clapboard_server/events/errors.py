"""Why the hub refuses something a client sent; the message goes back in the ack."""


class EventError(ValueError):
    """A packet, event or subscription request the hub refuses."""
