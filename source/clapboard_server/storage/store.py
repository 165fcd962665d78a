"""What the server holds for ``ftrack.server``: the file store and the upload-token signer."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from ..errors import ValidationError
from .files import FileStore, check_id, decode_md5
from .tokens import DEFAULT_TTL, UploadTokens

#: Folder of the data folder holding component data.
FILES_FOLDER = "files"


class Storage:
    """Component data of the ``ftrack.server`` location, kept under ``<data_dir>/files``."""

    def __init__(self, data_dir: Path, ttl: int = DEFAULT_TTL) -> None:
        self.files = FileStore(Path(data_dir) / FILES_FOLDER)
        self.tokens = UploadTokens.in_folder(data_dir, ttl)

    def upload_url(self, server_url: str, component_id: str) -> str:
        """A URL that accepts one ``PUT`` of ``component_id``'s data until the token expires."""
        token = self.tokens.sign(check_id(component_id))
        return f"{server_url.rstrip('/')}/component/put?id={component_id}&token={token}"

    def upload_metadata(self, server_url: str, component_id: Any, file_name: Any = None,
                        file_size: Any = None, checksum: Any = None) -> dict[str, Any]:
        """The answer to ``get_upload_metadata``: the signed URL and the headers to send with it.

        Header values are strings (the ftrack client's HTTP library refuses numbers).
        """
        check_id(component_id)
        if file_name is not None and not isinstance(file_name, str):
            raise ValidationError("file_name must be a string.")
        if file_size is not None and (isinstance(file_size, bool) or not isinstance(file_size, int)
                                      or file_size < 0):
            raise ValidationError(f"file_size must be a byte count; got {file_size!r}.")
        if checksum is not None:
            if not isinstance(checksum, str):
                raise ValidationError("checksum must be a base64 MD5 digest or null.")
            decode_md5(checksum)
        content_type = (mimetypes.guess_type(file_name)[0] if file_name else None) or "application/octet-stream"
        headers = {"Content-Type": content_type}
        if file_size is not None:
            headers["Content-Length"] = str(file_size)
        if checksum:
            headers["Content-MD5"] = checksum
        return {"url": self.upload_url(server_url, component_id), "headers": headers,
                "component_id": component_id}
