"""Schemas at start-up: the schema cache, entity classes built on first use, cheap imports."""

import hashlib
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import clapboard
import pytest
from clapboard.entity.factory import StandardFactory, finalise_types
from clapboard.schema import EntityTypes, schema_hash
from clapboard.transport import MockTransport


def relationships(types):
    """The relationship hints and prepared tables of every class in *types*."""
    return {
        name: (
            [(attribute.name, getattr(attribute, "inverse", None)) for attribute in cls.attributes],
            cls._inverse_references,
            cls._inverse_collections,
            cls._deferred,
        )
        for name, cls in ((name, types[name]) for name in sorted(types))
    }


# Entity classes built on first use -------------------------------------------------------------


def test_classes_are_built_when_first_looked_up(schemas):
    asked = []

    def construct(schema, all_schemas):
        assert all_schemas is schemas
        asked.append(schema["id"])

    types = EntityTypes(schemas, construct)
    assert set(types) == {schema["id"] for schema in schemas}
    assert len(types) == len(schemas)
    assert "User" in types and "Nothing" not in types
    assert asked == []

    user = types["User"]
    assert asked[0] == "User"  # the event of a type comes before its class is built
    assert types.get("User") is user and types["User"] is user
    assert asked.count("User") == 1

    assert types.get("Nothing") is None
    assert types.get("Nothing", 1) == 1
    try:
        types["Nothing"]
    except KeyError:
        pass
    else:
        raise AssertionError("an unknown type must raise KeyError")

    assert len(dict(types.items())) == len(schemas)
    assert sorted(asked) == sorted(schema["id"] for schema in schemas)


def test_classes_built_lazily_match_classes_built_together(schemas):
    factory = StandardFactory()
    together = {schema["id"]: factory.create(schema) for schema in schemas}
    finalise_types(together)
    expected = relationships(together)
    for seed in range(3):
        types = EntityTypes(schemas, lambda schema, all_schemas: None)
        names = list(types)
        random.Random(seed).shuffle(names)
        for name in names:
            types[name]
        assert relationships(types) == expected


def test_session_types_is_a_mapping_of_all_types(session, schemas):
    assert set(session.types.keys()) == {schema["id"] for schema in schemas}
    assert isinstance(session.create("User", {"username": "x"}), session.types["User"])


# Schema cache ----------------------------------------------------------------------------------


def test_schema_cache_holds_the_hashed_json(fake_server, tmp_path):
    fake_server.server_information = {"version": "4.13.8", "schema_hash": schema_hash(fake_server.schemas)}
    clapboard.Session("http://s", "k", "u", transport=MockTransport(fake_server), schema_cache_path=str(tmp_path))
    (path,) = tmp_path.iterdir()
    assert hashlib.md5(path.read_bytes()).hexdigest() == schema_hash(fake_server.schemas)


def test_schema_cache_in_another_form_is_replaced(fake_server, tmp_path):
    fake_server.server_information = {"version": "4.13.8", "schema_hash": schema_hash(fake_server.schemas)}
    transport = MockTransport(fake_server)
    clapboard.Session("http://s", "k", "u", transport=transport, schema_cache_path=str(tmp_path))
    (path,) = tmp_path.iterdir()
    path.write_text(json.dumps(fake_server.schemas, indent=1))  # same schemas, other bytes
    clapboard.Session("http://s", "k", "u", transport=transport, schema_cache_path=str(tmp_path))
    assert [op["action"] for op in transport.requests[-1]] == ["query_schemas"]
    assert hashlib.md5(path.read_bytes()).hexdigest() == schema_hash(fake_server.schemas)
    clapboard.Session("http://s", "k", "u", transport=transport, schema_cache_path=str(tmp_path))
    assert [op["action"] for op in transport.requests[-1]] == ["query_server_information"]


# Imports -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "import sys, clapboard\nassert 'requests' not in sys.modules\n",
        # What requests imports depends on its and urllib3's versions (urllib3 2 on Python 3.12
        # imports inspect through importlib.metadata): count only what clapboard adds to it.
        (
            "import sys, requests\n"
            "before = set(sys.modules)\n"
            "import clapboard\n"
            "clapboard.Session, clapboard.exception, clapboard.query\n"
            "slow = {'arrow', 'pyparsing', 'inspect'} & (set(sys.modules) - before)\n"
            "assert not slow, slow\n"
        ),
    ],
    ids=["requests", "slow modules"],
)
def test_slow_imports_wait_until_used(code):
    source = str(Path(clapboard.__file__).parent.parent)
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join([source, os.environ.get("PYTHONPATH", "")]))
    subprocess.run([sys.executable, "-c", code], check=True, env=environment)
