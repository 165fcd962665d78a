"""Unit tests for clapboard.structure (base, id, origin, standard)."""

from __future__ import annotations

from typing import Any

import pytest
from clapboard import exception
from clapboard.structure import standard as standard_module
from clapboard.structure.base import (
    Structure,
    format_sequence_index,
    get_sequence_expression,
    sanitise_for_filesystem,
    split_extension,
)
from clapboard.structure.id import IdStructure
from clapboard.structure.origin import OriginStructure
from clapboard.structure.standard import StandardStructure


class Fake(dict):
    """Mapping standing in for an entity, with an ``entity_type``."""

    def __init__(self, entity_type: str, **values: Any) -> None:
        super().__init__(values)
        self.entity_type = entity_type


# --- base -------------------------------------------------------------------


def test_structure_is_abstract() -> None:
    with pytest.raises(TypeError):
        Structure()  # type: ignore[abstract]


def test_structure_prefix_default_and_custom() -> None:
    assert IdStructure().prefix == ""
    assert IdStructure(prefix="root").prefix == "root"
    assert "root" in repr(IdStructure(prefix="root"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain_name-1.0", "plain_name-1.0"),
        ("with space", "with_space"),
        ("a/b\\c:d", "a_b_c_d"),
        ("café", "cafe"),
        ("日本", "__"),
    ],
)
def test_sanitise_for_filesystem(value: str, expected: str) -> None:
    assert sanitise_for_filesystem(value) == expected


def test_sanitise_for_filesystem_substitute() -> None:
    assert sanitise_for_filesystem("a b", "-") == "a-b"
    assert sanitise_for_filesystem("a b", "") == "ab"
    assert sanitise_for_filesystem("a b/ü", None) == "a b/ü"


def test_sequence_expression_helpers() -> None:
    assert get_sequence_expression(4) == "%04d"
    assert get_sequence_expression(0) == "%d"
    assert get_sequence_expression(None) == "%d"
    assert format_sequence_index("7", 4) == "0007"
    assert format_sequence_index(12, None) == "12"


# --- id ---------------------------------------------------------------------

ID = "123456789"


def test_id_structure_file_component() -> None:
    component = Fake("FileComponent", id=ID, name="main", file_type=".exr")
    assert IdStructure().get_resource_identifier(component) == "1/2/3/4/56789.exr"


def test_id_structure_without_file_type() -> None:
    component = Fake("FileComponent", id=ID, name="main", file_type=None)
    assert IdStructure().get_resource_identifier(component) == "1/2/3/4/56789"


def test_id_structure_prefix() -> None:
    component = Fake("FileComponent", id=ID, name="main", file_type=".exr")
    assert IdStructure(prefix="/prefix").get_resource_identifier(component) == "/prefix/1/2/3/4/56789.exr"
    assert IdStructure(prefix="store").get_resource_identifier(component, {"extra": 1}) == "store/1/2/3/4/56789.exr"


def test_id_structure_uuid() -> None:
    component = Fake("FileComponent", id="ab12cd34-0000-1111-2222-333344445555", name="main", file_type=".png")
    assert IdStructure().get_resource_identifier(component) == "a/b/1/2/cd34-0000-1111-2222-333344445555.png"


def test_id_structure_container_and_members() -> None:
    container = Fake("ContainerComponent", id=ID, name="bar", file_type=None, container=None)
    member = Fake("FileComponent", id="355827648d", name="baz", file_type=".exr", container=container)
    structure = IdStructure(prefix="/prefix")
    assert structure.get_resource_identifier(container) == "/prefix/1/2/3/4/56789"
    assert structure.get_resource_identifier(member) == "/prefix/1/2/3/4/56789/355827648d.exr"


def test_id_structure_sequence_and_members() -> None:
    sequence = Fake("SequenceComponent", id=ID, name="foo", file_type=".exr", padding=4)
    member = Fake("FileComponent", id="f1", name="0001", file_type=".exr", container=sequence)
    structure = IdStructure(prefix="/prefix")
    assert structure.get_resource_identifier(sequence) == "/prefix/1/2/3/4/56789/file.%04d.exr"
    assert structure.get_resource_identifier(member) == "/prefix/1/2/3/4/56789/file.0001.exr"


def test_id_structure_sequence_without_padding() -> None:
    sequence = Fake("SequenceComponent", id=ID, name="foo", file_type=".exr", padding=0)
    member = Fake("FileComponent", id="f1", name="42", file_type=None, container=sequence)
    structure = IdStructure()
    assert structure.get_resource_identifier(sequence) == "1/2/3/4/56789/file.%d.exr"
    assert structure.get_resource_identifier(member) == "1/2/3/4/56789/file.42.exr"


def test_id_structure_rejects_non_component() -> None:
    with pytest.raises(exception.StructureError):
        IdStructure().get_resource_identifier(Fake("Shot", id=ID, name="sh010"))
    with pytest.raises(exception.StructureError):
        IdStructure().get_resource_identifier({"id": ID})


# --- origin -----------------------------------------------------------------


def test_origin_structure_passes_through() -> None:
    component = Fake("FileComponent", id=ID)
    structure = OriginStructure(prefix="ignored")
    context = {"source_resource_identifier": "/some/path/file.txt"}
    assert structure.get_resource_identifier(component, context) == "/some/path/file.txt"


@pytest.mark.parametrize("context", [None, {}, {"other": "x"}])
def test_origin_structure_requires_source_resource_identifier(context: dict[str, Any] | None) -> None:
    with pytest.raises(ValueError):
        OriginStructure().get_resource_identifier(Fake("FileComponent", id=ID), context)


# --- standard ---------------------------------------------------------------


def make_version(parent_type: str = "Shot", asset_name: str = "asset_name", version_number: int = 3) -> Fake:
    project = Fake("Project", id="p", name="my_project", full_name="My Project")
    if parent_type == "Project":
        parent = project
        project["link"] = [{"id": "p", "name": "my_project", "type": "Project"}]
    else:
        parent = Fake(
            parent_type,
            id="s",
            name="folder_b",
            project=project,
            link=[
                {"id": "p", "name": "my_project", "type": "Project"},
                {"id": "f", "name": "folder_a", "type": "TypedContext"},
                {"id": "s", "name": "folder_b", "type": "TypedContext"},
            ],
        )
    asset = Fake("Asset", id="a", name=asset_name, parent=parent)
    return Fake("AssetVersion", id="v", version=version_number, asset=asset)


def test_standard_file_component() -> None:
    component = Fake("FileComponent", id="c", name="foo", file_type=".jpg", version=make_version(), container=None)
    assert (
        StandardStructure().get_resource_identifier(component) == "my_project/folder_a/folder_b/asset_name/v003/foo.jpg"
    )


def test_standard_sequence_and_member() -> None:
    sequence = Fake("SequenceComponent", id="s", name="foo", file_type=".jpg", padding=4, version=make_version())
    member = Fake("FileComponent", id="m", name="0042", file_type=".jpg", container=sequence)
    structure = StandardStructure()
    assert structure.get_resource_identifier(sequence) == "my_project/folder_a/folder_b/asset_name/v003/foo.%04d.jpg"
    assert structure.get_resource_identifier(member) == "my_project/folder_a/folder_b/asset_name/v003/foo.0042.jpg"


def test_standard_container_and_member() -> None:
    container = Fake("ContainerComponent", id="c", name="bar", file_type=None, version=make_version())
    member = Fake("FileComponent", id="m", name="baz", file_type=".pdf", container=container)
    structure = StandardStructure()
    assert structure.get_resource_identifier(container) == "my_project/folder_a/folder_b/asset_name/v003/bar"
    assert structure.get_resource_identifier(member) == "my_project/folder_a/folder_b/asset_name/v003/bar/baz.pdf"


def test_standard_version_published_under_project() -> None:
    version = make_version(parent_type="Project", version_number=1)
    component = Fake("FileComponent", id="c", name="foo", file_type=".jpg", version=version)
    assert StandardStructure().get_resource_identifier(component) == "my_project/asset_name/v001/foo.jpg"
    assert (
        StandardStructure(project_versions_prefix="publish").get_resource_identifier(component)
        == "my_project/publish/v001/foo.jpg"
    )


def test_standard_project_versions_prefix_ignored_below_project() -> None:
    component = Fake("FileComponent", id="c", name="foo", file_type=".jpg", version=make_version())
    assert (
        StandardStructure(project_versions_prefix="publish").get_resource_identifier(component)
        == "my_project/folder_a/folder_b/asset_name/v003/foo.jpg"
    )


def test_standard_sanitises_names() -> None:
    version = make_version(asset_name="my asset", version_number=12)
    component = Fake("FileComponent", id="c", name="fö o", file_type=".jpg", version=version)
    assert (
        StandardStructure().get_resource_identifier(component) == "my_project/folder_a/folder_b/my_asset/v012/fo_o.jpg"
    )
    assert (
        StandardStructure(illegal_character_substitute="-").get_resource_identifier(component)
        == "my_project/folder_a/folder_b/my-asset/v012/fo-o.jpg"
    )
    assert (
        StandardStructure(illegal_character_substitute=None).get_resource_identifier(component)
        == "my_project/folder_a/folder_b/my asset/v012/fö o.jpg"
    )


def test_standard_sanitise_for_filesystem_method() -> None:
    assert StandardStructure().sanitise_for_filesystem("a b") == "a_b"
    assert StandardStructure(illegal_character_substitute="x").sanitise_for_filesystem("a b") == "axb"
    assert StandardStructure(illegal_character_substitute=None).sanitise_for_filesystem("a b") == "a b"


def test_standard_context_is_unused() -> None:
    component = Fake("FileComponent", id="c", name="foo", file_type=".jpg", version=make_version())
    structure = StandardStructure()
    assert structure.get_resource_identifier(component, {"source_resource_identifier": "x"}) == (
        structure.get_resource_identifier(component)
    )


def test_standard_requires_version() -> None:
    component = Fake("FileComponent", id="c", name="foo", file_type=".jpg", version=None)
    with pytest.raises(exception.StructureError):
        StandardStructure().get_resource_identifier(component)


def test_standard_requires_asset() -> None:
    version = make_version()
    version["asset"] = None
    component = Fake("FileComponent", id="c", name="foo", file_type=".jpg", version=version)
    with pytest.raises(exception.StructureError):
        StandardStructure().get_resource_identifier(component)


def test_standard_requires_asset_parent() -> None:
    version = make_version()
    version["asset"]["parent"] = None
    component = Fake("FileComponent", id="c", name="foo", file_type=".jpg", version=version)
    with pytest.raises(exception.StructureError):
        StandardStructure().get_resource_identifier(component)


def test_standard_requires_committed_version(monkeypatch: pytest.MonkeyPatch) -> None:
    version = make_version()
    component = Fake("FileComponent", id="c", name="foo", file_type=".jpg", version=version)
    monkeypatch.setattr(standard_module, "_is_committed", lambda entity: entity is not version)
    with pytest.raises(exception.StructureError):
        StandardStructure().get_resource_identifier(component)


def test_standard_requires_committed_asset(monkeypatch: pytest.MonkeyPatch) -> None:
    version = make_version()
    component = Fake("FileComponent", id="c", name="foo", file_type=".jpg", version=version)
    monkeypatch.setattr(standard_module, "_is_committed", lambda entity: entity is not version["asset"])
    with pytest.raises(exception.StructureError):
        StandardStructure().get_resource_identifier(component)


def test_is_committed_uses_session_state(session: Any) -> None:
    user = session.create("User", {"id": "u-1"})
    assert not standard_module._is_committed(user)
    assert standard_module._is_committed({"plain": "mapping"})


def test_standard_rejects_non_component_and_nested_containers() -> None:
    with pytest.raises(exception.StructureError):
        StandardStructure().get_resource_identifier(Fake("Shot", name="sh010"))
    outer = Fake("ContainerComponent", id="o", name="outer", version=make_version())
    inner = Fake("SequenceComponent", id="i", name="inner", padding=4, container=outer)
    member = Fake("FileComponent", id="m", name="1", file_type=".exr", container=inner)
    with pytest.raises(exception.StructureError):
        StandardStructure().get_resource_identifier(member)


def test_sequence_member_keeps_its_own_name_whatever_the_padding() -> None:
    """A member named ``0001`` of a sequence whose padding is 0 stays ``file.0001.png``."""
    sequence = Fake("SequenceComponent", id=ID, name="foo", file_type=".png", padding=0, version=make_version())
    member = Fake("FileComponent", id="f1", name="0001", file_type=".png", container=sequence)
    assert IdStructure().get_resource_identifier(member) == "1/2/3/4/56789/file.0001.png"
    assert StandardStructure().get_resource_identifier(member).endswith("/v003/foo.0001.png")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/data/archive.tar.gz", ("/data/archive", ".tar.gz")),
        ("/data/sim.0001.bgeo.sc", ("/data/sim.0001", ".bgeo.sc")),
        ("/data/ARCHIVE.TAR.GZ", ("/data/ARCHIVE", ".TAR.GZ")),
        ("/data/image.png", ("/data/image", ".png")),
        ("/data/.tar.gz", ("/data/.tar", ".gz")),
        ("/data/noext", ("/data/noext", "")),
    ],
)
def test_compound_extensions_split_whole(path, expected) -> None:
    assert split_extension(path) == expected


def test_compound_extension_in_structure_paths() -> None:
    component = Fake("FileComponent", id=ID, name="cache", file_type=".bgeo.sc", version=make_version())
    assert IdStructure().get_resource_identifier(component) == "1/2/3/4/56789.bgeo.sc"
    assert StandardStructure().get_resource_identifier(component).endswith("/v003/cache.bgeo.sc")
