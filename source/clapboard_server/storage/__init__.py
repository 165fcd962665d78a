"""Server-side storage of the ``ftrack.server`` location (wire protocol, sections 4.12 and 9).

- :mod:`.tokens`: signed, expiring upload tokens;
- :mod:`.files`: the component data on disk;
- :mod:`.store`: :class:`Storage`, both together, and the ``get_upload_metadata`` answer;
- :mod:`.routes`: the ``/component/*`` HTTP routes.
"""

from .store import Storage

__all__ = ["Storage"]
