"""What the server holds for ``ftrack.server``: the file store, the token signer and ledger."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..database import Database
from ..errors import ValidationError
from .files import FileStore, check_id, decode_md5
from .ledger import TokenLedger
from .tokens import StorageTokens

#: Folder of the data folder holding component data.
FILES_FOLDER = "files"


class Storage:
    """Component data of the ``ftrack.server`` location, kept under ``<data_dir>/files``.

    ``secret`` signs upload and download tokens; every server process sharing ``database``
    must use the same one (the server keeps it in the database).
    """

    def __init__(self, data_dir: Path, database: Database, secret: bytes) -> None:
        self.files = FileStore(Path(data_dir) / FILES_FOLDER)
        self.tokens = StorageTokens(secret)
        self.ledger = TokenLedger(database)

    def upload_url(self, server_url: str, component_id: str, user_id: str, size: int | None = None,
                   md5: bytes | None = None) -> str:
        """A URL that accepts one ``PUT`` of ``component_id``'s data until the token expires."""
        token = self.tokens.sign_upload(check_id(component_id), user_id, size, md5)
        return f"{server_url.rstrip('/')}/component/put?id={quote(component_id)}&token={token}"

    def upload_metadata(self, server_url: str, user_id: str, component_id: Any, file_name: Any = None,
                        file_size: Any = None, checksum: Any = None) -> dict[str, Any]:
        """The answer to ``get_upload_metadata``: the signed URL and the headers to send with it.

        The URL is for ``user_id`` (refused once the user is inactive) and bound to ``file_size``
        and ``checksum`` when given: a body of another size or digest is refused. Header values are strings (the ftrack client's HTTP library refuses
        numbers).
        """
        check_id(component_id)
        if file_name is not None and not isinstance(file_name, str):
            raise ValidationError("file_name must be a string.")
        if file_size is not None and (isinstance(file_size, bool) or not isinstance(file_size, int)
                                      or file_size < 0):
            raise ValidationError(f"file_size must be a byte count; got {file_size!r}.")
        digest = None
        if checksum is not None:
            if not isinstance(checksum, str):
                raise ValidationError("checksum must be a base64 MD5 digest or null.")
            digest = decode_md5(checksum)
        content_type = (mimetypes.guess_type(file_name)[0] if file_name else None) or "application/octet-stream"
        headers = {"Content-Type": content_type}
        if file_size is not None:
            headers["Content-Length"] = str(file_size)
        if checksum:
            headers["Content-MD5"] = checksum
        return {"url": self.upload_url(server_url, component_id, user_id, file_size, digest), "headers": headers,
                "component_id": component_id}
