"""Fixtures for server tests: a raw API client bound to the embedded server."""

import uuid

import pytest
from server_api import Api, create, ref


@pytest.fixture(scope="session")
def api(server):
    return Api(server)


@pytest.fixture(scope="session")
def project_schema(api):
    return api.one('select id, name from ProjectSchema where name is "VFX Scheme"')


@pytest.fixture
def make_project(api, project_schema):
    """Create a uniquely named project (with optional tree) and return its create operation."""

    def make(**data):
        data.setdefault("name", f"p-{uuid.uuid4().hex[:8]}")
        data.setdefault("full_name", data["name"])
        project = create("Project", project_schema=ref(project_schema), **data)
        api.call(project)
        return project

    return make
