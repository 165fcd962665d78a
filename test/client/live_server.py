"""Sessions on the embedded server, for the tests that run the documentation's examples."""

import clapboard


def new_session(server, **options):
    """A session on ``server`` that keeps no schema cache unless asked to."""
    options.setdefault("schema_cache_path", False)
    return clapboard.Session(server.server_url, server.api_key, server.api_user, **options)
