"""Plugin discovery."""

import logging

from clapboard import plugin


def test_discover_passes_accepted_arguments(tmp_path, caplog):
    (tmp_path / "a.py").write_text("calls = []\ndef register(session, flag=False):\n    import builtins\n    builtins._clapboard_test_calls.append((session, flag))\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.py").write_text("def register(session, **kw):\n    import builtins\n    builtins._clapboard_test_calls.append((session, kw))\n")
    (tmp_path / "no_register.py").write_text("x = 1\n")
    (tmp_path / "broken.py").write_text("raise RuntimeError('boom')\n")
    (tmp_path / "notes.txt").write_text("not a plugin")
    import builtins

    builtins._clapboard_test_calls = []
    with caplog.at_level(logging.WARNING, logger="clapboard.plugin"):
        plugin.discover([str(tmp_path), "/does/not/exist"], ["session"], {"flag": True, "other": 1})
    calls = builtins._clapboard_test_calls
    del builtins._clapboard_test_calls
    assert ("session", True) in calls
    assert ("session", {"flag": True, "other": 1}) in calls
    assert "does not accept arguments" in caplog.text
    assert "Failed to load plugin" in caplog.text
