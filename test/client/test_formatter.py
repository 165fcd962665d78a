"""clapboard.formatter.format."""

from clapboard import formatter


def test_format(session):
    status = session.create("Status", {"id": "s1", "name": "Done"}, reconstructing=True)
    task = session.create("Task", {"id": "t1", "name": "comp", "status": status, "timelogs": []}, reconstructing=True)
    with session.auto_populating(False):
        text = formatter.format(task, attribute_filter=formatter.FILTER["ignore_unset"])
    lines = text.splitlines()
    assert lines[0] == "Task"
    assert "  name: comp" in lines
    assert '  status: <Status "Done" s1>' in lines
    assert "  timelogs: []" in lines
    assert not any("NOT_SET" in line for line in lines)
    with session.auto_populating(False):
        full = formatter.format(task, formatters={"header": str.upper, "label": str.title})
        recursive = formatter.format(task, attribute_filter=formatter.FILTER["ignore_unset"], recursive=True, indent=2)
    assert full.splitlines()[0] == "TASK"
    assert "  Description: NOT_SET" in full
    assert "status: Status" in recursive
    assert "        name: Done" in recursive.splitlines()
    assert recursive.startswith("  Task")
