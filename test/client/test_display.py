"""How entities, collections and query results show in a shell: reprs, IPython views, completions, HTML."""

import re

import clapboard.attribute
import clapboard.symbol
import pytest
from clapboard import display
from clapboard.collection import Collection, CustomAttributeCollectionProxy
from IPython.lib.pretty import pretty

UUID = "b4d594f9-0000-4000-8000-000000000001"


def reconstruct(session, entity_type, **values):
    return session.create(entity_type, values, reconstructing=True)


def shot_task(session, **task_values):
    """A task under sq010/sh020 of project "demo", every parent loaded."""
    project = reconstruct(session, "Project", id="p", name="demo", context_type="show")
    sequence = reconstruct(session, "Sequence", id="sq", name="sq010", parent=project)
    shot = reconstruct(session, "Shot", id="sh", name="sh020", parent=sequence)
    return reconstruct(session, "Task", id=UUID, name="compositing", parent=shot, **task_values)


def test_entity_shows_type_name_path_short_id_and_state(session, fake_server):
    task = shot_task(session)
    assert repr(task) == '<Task "compositing" sq010/sh020 b4d594f9>'
    task["name"] = "comp"
    assert repr(task) == '<Task "comp" sq010/sh020 b4d594f9 · modified>'
    session.delete(task)
    assert repr(task).endswith(" · deleted>")
    assert repr(session.create("Shot", {"name": "sh030"})).startswith('<Shot "sh030" ')
    assert fake_server.batches == []  # showing entities sends no request


def test_path_comes_from_a_loaded_link(session):
    link = [{"id": "p", "name": "demo", "type": "Project"}, {"id": "sq", "name": "sq010", "type": "TypedContext"},
            {"id": "sh", "name": "sh020", "type": "TypedContext"}, {"id": UUID, "name": "comp", "type": "TypedContext"}]
    task = reconstruct(session, "Task", id=UUID, name="comp", link=link)
    assert repr(task) == '<Task "comp" sq010/sh020 b4d594f9>'


def test_nothing_loaded_shows_type_and_short_id_without_a_request(session, fake_server):
    task = reconstruct(session, "Task", id=UUID)
    assert repr(task) == "<Task b4d594f9>"
    shot = reconstruct(session, "Shot", id="sh", parent=reconstruct(session, "Sequence", id="sq"))
    assert repr(shot) == "<Shot … sh>"  # the unnamed parent is elided, not fetched
    assert fake_server.batches == []


def test_other_identifying_attributes(session):
    assert repr(reconstruct(session, "User", id=UUID, username="jane")) == '<User "jane" b4d594f9>'
    asset = reconstruct(session, "Asset", id="a", name="plate")
    version = reconstruct(session, "AssetVersion", id=UUID, asset=asset, version=3)
    assert repr(version) == '<AssetVersion "plate v003" b4d594f9>'
    metadata = reconstruct(session, "Metadata", parent_id="p", key="colour", value="red")
    assert repr(metadata) == '<Metadata "colour" p, colour>'


def test_ipython_multi_line_view_of_loaded_attributes(session):
    task = shot_task(session, description="hero shot")
    lines = pretty(task).splitlines()
    assert lines[0] == repr(task)
    assert "  name        = 'compositing'" in lines
    assert "  description = 'hero shot'" in lines
    assert not any("status" in line for line in lines)  # not loaded: not shown
    assert pretty([task]) == f"[{task!r}]"  # one line inside containers


def test_long_values_are_cut_in_the_multi_line_view(session):
    task = reconstruct(session, "Task", id=UUID, description="x" * 500)
    (line,) = [line for line in pretty(task).splitlines() if "description" in line]
    assert len(line) < 130 and line.endswith("…")


def test_html_table_of_an_entity(session):
    task = shot_task(session, description="<b>hero</b>")
    table = task._repr_html_()
    assert table.startswith("<table>") and table.endswith("</table>")
    assert "&lt;Task &quot;compositing&quot; sq010/sh020 b4d594f9&gt;" in table
    assert "&lt;b&gt;hero&lt;/b&gt;" in table and "<b>hero" not in table
    assert re.search(r"<th[^>]*>name</th><td[^>]*>compositing</td>", table)


def test_key_completions(session, fake_server):
    task = shot_task(session)
    assert {"name", "description", "custom_attributes"} <= set(task._ipython_key_completions_())
    assert "Task" in session.types._ipython_key_completions_()
    sequence = session.create("Sequence", {"name": "s", "metadata": {"a": "1", "b": "2"}})
    assert sorted(sequence["metadata"]._ipython_key_completions_()) == ["a", "b"]
    values = [
        reconstruct(session, "ContextCustomAttributeValue", configuration_id=f"c{index}", entity_id="t", key=key,
                    value=None)
        for index, key in enumerate(("fstart", "fend"))
    ]
    task = reconstruct(session, "Task", id="t", custom_attributes=values)
    assert task["custom_attributes"]._ipython_key_completions_() == ["fstart", "fend"]


def test_legacy_custom_attribute_completions_offer_every_configuration(session, fake_server):
    fake_server.query_handler = lambda expression: [
        {"__entity_type__": "CustomAttributeConfiguration", "id": f"c{index}", "key": key, "entity_type": "task",
         "object_type_id": "o", "project_id": None, "is_hierarchical": False, "default": None}
        for index, key in enumerate(("fstart", "fend"))
    ]
    task = reconstruct(session, "Task", id="t", project_id="p", object_type_id="o")
    attribute = clapboard.attribute.CustomAttributeCollectionAttribute("custom_attributes")
    proxy = CustomAttributeCollectionProxy(Collection(task, attribute))
    assert proxy._ipython_key_completions_() == ["fstart", "fend"]  # set or not


def test_collections_print_their_members(session, fake_server):
    shot = reconstruct(session, "Shot", id="sh", name="sh020", children=[
        reconstruct(session, "Task", id=f"t{index}", name=f"task{index}") for index in range(12)
    ])
    text = repr(shot["children"])
    assert text.startswith('<Collection Shot.children (12) [<Task "task0" sh020 t0>, <Task "task1" sh020 t1>')
    assert text.endswith(", … 2 more]>")
    lines = pretty(shot["children"]).splitlines()
    assert lines[0] == "<Collection Shot.children (12)>" and lines[1] == '  <Task "task0" sh020 t0>'
    assert "<td>" in shot["children"]._repr_html_()
    sequence = session.create("Sequence", {"name": "s", "metadata": {"a": "1"}})
    assert repr(sequence["metadata"]) == "<KeyValueMappedCollectionProxy Sequence.metadata (1) {'a': '1'}>"
    assert fake_server.batches == []


def tasks(count):
    return [{"__entity_type__": "Task", "id": f"t{index}", "name": f"task{index}", "context_type": "task"}
            for index in range(count)]


def test_query_result_shows_its_expression_and_what_is_loaded(session, fake_server):
    fake_server.query_handler = lambda expression: tasks(5)
    result = session.query("Task", page_size=2)
    assert repr(result) == "<clapboard.query.QueryResult ('select context_type, id, name from Task') not fetched yet>"
    assert fake_server.queries == []
    lines = pretty(result).splitlines()  # IPython shows the first page
    assert lines[0].endswith("('select context_type, id, name from Task') 2 loaded, more on the server>")
    assert lines[1:] == ['  <Task "task0" t0>', '  <Task "task1" t1>']
    assert len(fake_server.queries) == 1
    assert len(result) == 5
    assert repr(result).endswith("all 5 loaded>")
    assert pretty([result]) == f"[{result!r}]"


def test_query_result_html_table(session, fake_server):
    fake_server.query_handler = lambda expression: tasks(3)
    table = session.query("Task")._repr_html_()
    assert table.count("<tr>") == 4  # a header and a row per result
    assert "<th>name</th>" in table and "<td>task2</td>" in table
    assert "all 3 loaded" in table


def test_query_result_stays_a_sequence(session, fake_server):
    fake_server.query_handler = lambda expression: tasks(3)
    result = session.query("Task")
    first = result[0]
    assert result.count(first) == 1 and result.count("something else") == 0
    assert result.index(first) == 0


@pytest.mark.parametrize("expression, sent, offset_limit, expected", [
    ("Task", "select count(id) from Task", "", 7),
    ('select name from Task where name is "order by x" order by name', 'select count(id) from Task where name is "order by x"', "", 7),
    ("Task where parent.name is sh020 offset 5 limit 10", "select count(id) from Task where parent.name is sh020", "", 2),
    ("Task limit 3", "select count(id) from Task", "", 3),
    ("Metadata", "select count(parent_id) from Metadata", "", 7),
])
def test_server_count(session, fake_server, expression, sent, offset_limit, expected):
    key = "parent_id" if "Metadata" in expression else "id"
    fake_server.query_handler = lambda query: [{f"count_{key}": 7}]
    result = session.query(expression)
    assert result.server_count() == expected
    assert fake_server.queries == [sent]
    assert repr(result).endswith("not fetched yet>")  # counting loads nothing


def test_display_helpers_never_fetch(session, fake_server):
    task = reconstruct(session, "Task", id=UUID)
    assert display.loaded_names(task) == ["id"]
    assert display.entity_lines(task) == ["<Task b4d594f9>", f"  id = {UUID!r}"]
    assert fake_server.batches == []


def test_ipython_completer_offers_the_keys(session, fake_server, monkeypatch, tmp_path):
    from IPython.core.completer import provisionalcompleter
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    monkeypatch.setenv("IPYTHONDIR", str(tmp_path))
    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell(config=config)
    sequence = session.create("Sequence", {"name": "s", "metadata": {"colour": "red"}})
    shell.user_ns.update(task=shot_task(session), session=session, metadata=sequence["metadata"])

    def complete(line):
        with provisionalcompleter():
            return [completion.text for completion in shell.Completer.completions(line, len(line))]

    assert complete("task['descr") == ["description"]
    assert "TypedContext" in complete("session.types['TypedCon")
    assert complete("metadata['col") == ["colour"]
    assert fake_server.batches == []  # completing sends no request here: the keys are known


def test_the_entity_type_names_configured_classes_and_long_names_are_cut(session):
    location = session.get("Location", clapboard.symbol.SERVER_LOCATION_ID)
    assert type(location).__name__ != "Location"  # a class with the location mixins
    assert repr(location).startswith('<Location "ftrack.server" ')
    registration = reconstruct(session, "ComponentLocation", id=UUID, resource_identifier="r" * 60)
    assert repr(registration) == f'<ComponentLocation "{"r" * 39}…" b4d594f9>'


def test_an_entity_being_constructed_still_shows(session):
    task_class = session.types["Task"]
    bare = task_class.__new__(task_class)  # as during __init__, before any value is stored
    assert repr(bare) == "<Task (being constructed)>"
