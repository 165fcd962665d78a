"""Unit tests for clapboard.accessor (base and disk)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from clapboard import exception
from clapboard.accessor.base import Accessor
from clapboard.accessor.disk import DiskAccessor
from clapboard.data import Data, File


@pytest.fixture
def accessor(tmp_path: Path) -> DiskAccessor:
    return DiskAccessor(prefix=str(tmp_path))


def write(path: Path, content: bytes = b"data") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


def test_accessor_is_abstract() -> None:
    with pytest.raises(TypeError):
        Accessor()  # type: ignore[abstract]


class Minimal(Accessor):
    """Accessor implementing only the abstract methods."""

    def list(self, resource_identifier: str) -> list[str]:
        return []

    def exists(self, resource_identifier: str) -> bool:
        return False

    def is_file(self, resource_identifier: str) -> bool:
        return False

    def is_container(self, resource_identifier: str) -> bool:
        return False

    def is_sequence(self, resource_identifier: str) -> bool:
        return False

    def open(self, resource_identifier: str, mode: str = "rb") -> Data:
        raise NotImplementedError

    def remove(self, resource_identifier: str) -> None:
        self.removed = resource_identifier

    def make_container(self, resource_identifier: str, recursive: bool = True) -> None:
        pass

    def get_container(self, resource_identifier: str) -> str:
        return ""


def test_base_filesystem_path_and_url_unsupported() -> None:
    minimal = Minimal(extra="ignored")
    with pytest.raises(exception.AccessorUnsupportedOperationError):
        minimal.get_filesystem_path("a")
    with pytest.raises(exception.AccessorUnsupportedOperationError) as info:
        minimal.get_url("a")
    assert info.value.details["resource_identifier"] == "a"


def test_base_remove_container_delegates_to_remove() -> None:
    minimal = Minimal()
    minimal.remove_container("folder")
    assert minimal.removed == "folder"


def test_prefix_attribute_and_repr(tmp_path: Path) -> None:
    accessor = DiskAccessor(str(tmp_path))
    assert accessor.prefix == str(tmp_path)
    assert str(tmp_path) in repr(accessor)


def test_get_filesystem_path_joins_prefix(accessor: DiskAccessor, tmp_path: Path) -> None:
    assert accessor.get_filesystem_path("test.txt") == str(tmp_path / "test.txt")
    assert accessor.get_filesystem_path("a/b/../c.txt") == str(tmp_path / "a" / "c.txt")
    assert accessor.get_filesystem_path("") == str(tmp_path)


def test_get_filesystem_path_accepts_absolute_path_inside_prefix(accessor: DiskAccessor, tmp_path: Path) -> None:
    assert accessor.get_filesystem_path(str(tmp_path / "test.txt")) == str(tmp_path / "test.txt")


@pytest.mark.parametrize("resource_identifier", ["../outside.txt", "a/../../outside", "/elsewhere/test.txt", None, 3])
def test_get_filesystem_path_outside_prefix_or_invalid(accessor: DiskAccessor, resource_identifier: object) -> None:
    with pytest.raises(exception.AccessorFilesystemPathError):
        accessor.get_filesystem_path(resource_identifier)  # type: ignore[arg-type]


def test_get_filesystem_path_without_prefix(tmp_path: Path) -> None:
    accessor = DiskAccessor(prefix="")
    assert accessor.get_filesystem_path(str(tmp_path / "x.txt")) == str(tmp_path / "x.txt")
    assert accessor.get_filesystem_path("relative/x.txt") == os.path.join("relative", "x.txt")


def test_get_url_unsupported(accessor: DiskAccessor) -> None:
    with pytest.raises(exception.AccessorUnsupportedOperationError):
        accessor.get_url("test.txt")


def test_exists_is_file_is_container(accessor: DiskAccessor, tmp_path: Path) -> None:
    write(tmp_path / "folder" / "file.txt")
    assert accessor.exists("folder")
    assert accessor.exists("folder/file.txt")
    assert not accessor.exists("missing")
    assert accessor.is_file("folder/file.txt")
    assert not accessor.is_file("folder")
    assert not accessor.is_file("missing")
    assert accessor.is_container("folder")
    assert accessor.is_container("")
    assert not accessor.is_container("folder/file.txt")
    assert not accessor.is_container("missing")


def test_is_sequence_unsupported(accessor: DiskAccessor) -> None:
    with pytest.raises(exception.AccessorUnsupportedOperationError):
        accessor.is_sequence("file.%04d.exr")


def test_list_returns_resource_identifiers(accessor: DiskAccessor, tmp_path: Path) -> None:
    write(tmp_path / "folder" / "b.txt")
    write(tmp_path / "folder" / "a.txt")
    (tmp_path / "folder" / "sub").mkdir()
    entries = accessor.list("folder")
    assert entries == [os.path.join("folder", name) for name in ("a.txt", "b.txt", "sub")]
    assert all(accessor.exists(entry) for entry in entries)
    assert accessor.list("") == ["folder"]
    assert accessor.list("folder/sub") == []


def test_list_missing_raises_not_found(accessor: DiskAccessor) -> None:
    with pytest.raises(exception.AccessorResourceNotFoundError) as info:
        accessor.list("missing")
    assert info.value.details["operation"] == "list"
    assert info.value.details["resource_identifier"] == "missing"


def test_list_file_raises_invalid(accessor: DiskAccessor, tmp_path: Path) -> None:
    write(tmp_path / "file.txt")
    with pytest.raises(exception.AccessorResourceInvalidError):
        accessor.list("file.txt")


def test_open_read_and_write(accessor: DiskAccessor, tmp_path: Path) -> None:
    data = accessor.open("new.txt", "wb")
    assert isinstance(data, File)
    data.write(b"hello")
    data.close()
    assert (tmp_path / "new.txt").read_bytes() == b"hello"
    data = accessor.open("new.txt")
    try:
        assert data.read() == b"hello"
    finally:
        data.close()
    assert data.closed


def test_open_missing_for_reading_raises_not_found(accessor: DiskAccessor) -> None:
    with pytest.raises(exception.AccessorResourceNotFoundError):
        accessor.open("missing.txt", "rb")
    with pytest.raises(exception.AccessorResourceNotFoundError):
        accessor.open("missing.txt", "r+b")


def test_open_for_writing_in_missing_folder_raises_parent_not_found(accessor: DiskAccessor) -> None:
    with pytest.raises(exception.AccessorParentResourceNotFoundError):
        accessor.open("missing/new.txt", "wb")


def test_open_container_raises_invalid(accessor: DiskAccessor, tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    with pytest.raises(exception.AccessorResourceInvalidError):
        accessor.open("folder")


def test_open_outside_prefix_raises_filesystem_path_error(accessor: DiskAccessor) -> None:
    with pytest.raises(exception.AccessorFilesystemPathError):
        accessor.open("../escape.txt", "wb")


def test_remove_file_and_empty_container(accessor: DiskAccessor, tmp_path: Path) -> None:
    write(tmp_path / "folder" / "file.txt")
    accessor.remove("folder/file.txt")
    assert not (tmp_path / "folder" / "file.txt").exists()
    accessor.remove("folder")
    assert not (tmp_path / "folder").exists()


def test_remove_missing_raises_not_found(accessor: DiskAccessor) -> None:
    with pytest.raises(exception.AccessorResourceNotFoundError):
        accessor.remove("missing.txt")


def test_remove_non_empty_container_raises(accessor: DiskAccessor, tmp_path: Path) -> None:
    write(tmp_path / "folder" / "file.txt")
    with pytest.raises(exception.AccessorContainerNotEmptyError):
        accessor.remove("folder")
    assert (tmp_path / "folder" / "file.txt").exists()


def test_remove_container(accessor: DiskAccessor, tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    accessor.remove_container("folder")
    assert not (tmp_path / "folder").exists()
    write(tmp_path / "file.txt")
    with pytest.raises(exception.AccessorResourceInvalidError):
        accessor.remove_container("file.txt")
    with pytest.raises(exception.AccessorResourceNotFoundError):
        accessor.remove_container("missing")


def test_make_container_recursive(accessor: DiskAccessor, tmp_path: Path) -> None:
    accessor.make_container("a/b/c")
    assert (tmp_path / "a" / "b" / "c").is_dir()


def test_make_container_ignores_existing(accessor: DiskAccessor, tmp_path: Path) -> None:
    write(tmp_path / "a" / "keep.txt")
    accessor.make_container("a")
    accessor.make_container("a", recursive=False)
    assert (tmp_path / "a" / "keep.txt").exists()


def test_make_container_non_recursive(accessor: DiskAccessor, tmp_path: Path) -> None:
    accessor.make_container("a", recursive=False)
    assert (tmp_path / "a").is_dir()
    with pytest.raises(exception.AccessorParentResourceNotFoundError):
        accessor.make_container("x/y", recursive=False)


def test_make_container_over_file_raises_invalid(accessor: DiskAccessor, tmp_path: Path) -> None:
    write(tmp_path / "file.txt")
    with pytest.raises(exception.AccessorResourceInvalidError):
        accessor.make_container("file.txt")
    with pytest.raises(exception.AccessorResourceInvalidError):
        accessor.make_container("file.txt/sub")


def test_get_container(accessor: DiskAccessor, tmp_path: Path) -> None:
    assert accessor.get_container("a/b/c.txt") == os.path.join("a", "b")
    assert accessor.get_container("a/b") == "a"
    assert accessor.get_container("c.txt") == ""
    assert accessor.get_container(str(tmp_path / "a" / "c.txt")) == "a"


def test_get_container_of_prefix_raises(accessor: DiskAccessor, tmp_path: Path) -> None:
    with pytest.raises(exception.AccessorParentResourceNotFoundError):
        accessor.get_container("")
    with pytest.raises(exception.AccessorParentResourceNotFoundError):
        accessor.get_container(str(tmp_path))


def test_get_container_without_prefix(tmp_path: Path) -> None:
    accessor = DiskAccessor(prefix="")
    assert accessor.get_container(str(tmp_path / "x.txt")) == str(tmp_path)
    with pytest.raises(exception.AccessorParentResourceNotFoundError):
        accessor.get_container(os.sep)
    with pytest.raises(exception.AccessorParentResourceNotFoundError):
        accessor.get_container("x.txt")


def test_round_trip_through_accessor(accessor: DiskAccessor) -> None:
    accessor.make_container("1/2/3/4")
    target = "1/2/3/4/56789.txt"
    with_container = accessor.get_container(target)
    assert accessor.is_container(with_container)
    data = accessor.open(target, "wb")
    data.write(b"x" * 10)
    data.close()
    assert accessor.list(with_container) == [os.path.join(with_container, "56789.txt")]
    accessor.remove(target)
    assert not accessor.exists(target)


def test_permission_error_mapped(accessor: DiskAccessor, monkeypatch: pytest.MonkeyPatch) -> None:
    def deny(path: str) -> list[str]:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(os, "listdir", deny)
    with pytest.raises(exception.AccessorPermissionDeniedError) as info:
        accessor.list("")
    assert isinstance(info.value, exception.AccessorOperationFailedError)


def test_other_os_error_mapped_to_operation_failed(accessor: DiskAccessor, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(path: str) -> list[str]:
        raise OSError(5, "Input/output error", path)

    monkeypatch.setattr(os, "listdir", fail)
    with pytest.raises(exception.AccessorOperationFailedError) as info:
        accessor.list("")
    assert isinstance(info.value.details["error"], OSError)
