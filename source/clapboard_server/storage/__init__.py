"""Server-side storage of the ``ftrack.server`` location (wire protocol, sections 4.12 and 9).

- :mod:`.tokens`: signed, expiring upload and download tokens; :mod:`.ledger`: single use;
- :mod:`.links`: download links (with a token) in query results;
- :mod:`.files`: the component data on disk;
- :mod:`.store`: :class:`Storage`, both together, and the ``get_upload_metadata`` answer;
- :mod:`.routes`: the ``/component/*`` HTTP routes.
"""

from .store import Storage

__all__ = ["Storage"]
