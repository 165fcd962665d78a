import copy
import pickle

from clapboard import symbol
from clapboard.symbol import CREATED, DELETED, MODIFIED, NOT_SET, Symbol


def test_symbols_print_their_name_and_are_falsy():
    assert str(NOT_SET) == "NOT_SET"
    assert repr(NOT_SET) == "Symbol(NOT_SET)"
    assert not NOT_SET
    assert {str(s) for s in (CREATED, MODIFIED, DELETED)} == {"CREATED", "MODIFIED", "DELETED"}


def test_symbols_keep_identity_through_copy_and_pickle():
    assert copy.copy(NOT_SET) is NOT_SET
    assert copy.deepcopy([NOT_SET])[0] is NOT_SET
    assert pickle.loads(pickle.dumps(CREATED)) is CREATED
    assert Symbol("NOT_SET") is NOT_SET


def test_documented_constants():
    assert symbol.SERVER_LOCATION_ID == "3a372bde-05bc-11e4-8908-20c9d081909b"
    assert symbol.ORIGIN_LOCATION_ID == "ce9b348f-8809-11e3-821c-20c9d081909b"
    assert symbol.UNMANAGED_LOCATION_ID == "cb268ecc-8809-11e3-a7e2-20c9d081909b"
    assert symbol.REVIEW_LOCATION_ID == "cd41be70-8809-11e3-b98a-20c9d081909b"
    assert symbol.CONNECT_LOCATION_ID == "07b82a97-8cf9-11e3-9383-20c9d081909b"
    assert symbol.COMPONENT_ADDED_TO_LOCATION_TOPIC == "ftrack.location.component-added"
    assert symbol.COMPONENT_REMOVED_FROM_LOCATION_TOPIC == "ftrack.location.component-removed"
    assert symbol.CHUNK_SIZE == 1048576
    assert repr(symbol.JOB_SYNC_USERS_LDAP) == "Symbol(SYNC_USERS_LDAP)"
