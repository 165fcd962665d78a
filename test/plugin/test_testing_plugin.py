"""The pytest plugin users get: its fixtures give a working session on an embedded server."""

import uuid

pytest_plugins = ["pytester"]


def test_fixtures_give_a_session_on_an_embedded_server(pytester):
    pytester.makepyfile(
        """
        def test_round_trip(clapboard_session):
            schema = clapboard_session.query("ProjectSchema").first()
            project = clapboard_session.create("Project", {
                "name": "NAME", "full_name": "Test", "project_schema": schema,
            })
            clapboard_session.commit()
            assert clapboard_session.query('Project where name is "NAME"').one() is project

        def test_same_server_new_session(clapboard_session, clapboard_server):
            assert clapboard_session.server_url == clapboard_server.server_url
            assert len(clapboard_session.query('Project where name is "NAME"').all()) == 1
        """.replace("NAME", f"p-{uuid.uuid4().hex[:8]}")
    )
    result = pytester.runpytest_subprocess()  # the plugin comes from the pytest11 entry point
    result.assert_outcomes(passed=2)
