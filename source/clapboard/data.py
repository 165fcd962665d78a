"""File-like data wrappers used when transferring component data."""

from __future__ import annotations

import abc
import os
import tempfile
from typing import IO, Any


class Data(abc.ABC):
    """File-like object for manipulating data."""

    def __init__(self) -> None:
        """Initialise data access."""
        self.closed = False

    @abc.abstractmethod
    def read(self, limit: int | None = None) -> Any:
        """Return content from current position up to *limit*."""

    @abc.abstractmethod
    def write(self, content: Any) -> None:
        """Write content at current position."""

    def flush(self) -> None:
        """Flush buffers ensuring data written."""

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> None:
        """Move internal pointer by *offset*."""
        raise NotImplementedError("Seek not supported.")

    def tell(self) -> int:
        """Return current position of internal pointer."""
        raise NotImplementedError("Tell not supported.")

    def close(self) -> None:
        """Flush buffers and prevent further access."""
        self.flush()
        self.closed = True


class FileWrapper(Data):
    """Data wrapper for Python file objects."""

    def __init__(self, wrapped_file: IO[Any]):
        """Initialise access to *wrapped_file*."""
        self.wrapped_file = wrapped_file
        self._read_since_last_write = False
        super().__init__()

    def read(self, limit: int | None = None) -> Any:
        """Return content from current position up to *limit*."""
        self._read_since_last_write = True
        return self.wrapped_file.read(-1 if limit is None else limit)

    def write(self, content: Any) -> None:
        """Write content at current position."""
        if self._read_since_last_write:
            # Windows requires a seek between reading and writing.
            self.wrapped_file.seek(self.wrapped_file.tell())
        self.wrapped_file.write(content)
        self._read_since_last_write = False

    def flush(self) -> None:
        """Flush buffers ensuring data written."""
        super().flush()
        if hasattr(self.wrapped_file, "flush"):
            self.wrapped_file.flush()

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> None:
        """Move internal pointer by *offset*."""
        self.wrapped_file.seek(offset, whence)

    def tell(self) -> int:
        """Return current position of internal pointer."""
        return self.wrapped_file.tell()

    def close(self) -> None:
        """Flush buffers and prevent further access."""
        if not self.closed:
            super().close()
            if hasattr(self.wrapped_file, "close"):
                self.wrapped_file.close()


class File(FileWrapper):
    """Data wrapper accepting filepath."""

    def __init__(self, path: str, mode: str = "rb"):
        """Open file at *path* with *mode*."""
        super().__init__(open(path, mode))  # noqa: SIM115 - closed by close()


class String(FileWrapper):
    """Data wrapper using a temporary file to hold string or bytes content."""

    def __init__(self, content: Any = None):
        """Initialise data with *content* (str or bytes)."""
        super().__init__(tempfile.TemporaryFile())  # noqa: SIM115 - closed by close()
        if content is not None:
            self.wrapped_file.write(content.encode("utf-8") if isinstance(content, str) else content)
            self.wrapped_file.seek(0)

    def write(self, content: Any) -> None:
        """Write content (str or bytes) at current position."""
        super().write(content.encode("utf-8") if isinstance(content, str) else content)

    def read(self, limit: int | None = None) -> Any:
        """Return content from current position up to *limit* as text."""
        value = super().read(limit)
        return value.decode("utf-8") if isinstance(value, bytes) else value


__all__ = ["Data", "File", "FileWrapper", "String"]
