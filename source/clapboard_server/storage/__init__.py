"""Server-side storage of the ``ftrack.server`` location (wire protocol, sections 4.12 and 9).

- :mod:`.tokens`: signed, expiring upload and download tokens; :mod:`.ledger`: single use;
- :mod:`.links`: download links (with a token) in query results;
- :mod:`.files`: the component data on disk (the default backend);
- :mod:`.s3`: the component data in an S3-compatible bucket, reached through presigned URLs;
- :mod:`.store`: :class:`Storage`, the backend and the tokens together, and the
  ``get_upload_metadata`` answer (one URL, or a multipart upload on S3);
- :mod:`.routes`: the ``/component/*`` HTTP routes.
"""

from .store import Storage

__all__ = ["Storage"]
