"""Events: the event class, the hub dispatching them, subscriptions and subscribers."""
