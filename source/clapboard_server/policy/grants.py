"""A user's grants: the UserSecurityRole rows naming them, with each role's permissions.

Loaded with one indexed query per request (or per event delivery), never cached across
requests, so a revoked grant takes effect at once on every server process.
"""

from __future__ import annotations

import functools
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..query.compiled import CompiledSelect
from .vocabulary import GLOBAL_GROUPS, allows

if TYPE_CHECKING:
    from ..query.scope import Catalog

ASSIGNED = "ASSIGNED"


@dataclass(frozen=True)
class Grant:
    """One role held by the user, on all projects or on some."""

    role_id: str
    role_name: str
    role_type: str | None
    permissions: frozenset[str]
    all_projects: bool
    projects: frozenset[str]

    @property
    def assigned(self) -> bool:
        """An ASSIGNED-type grant: effective only on tasks assigned to the user."""
        return self.role_type == ASSIGNED

    def allows(self, wanted: str) -> bool:
        if wanted.partition(".")[0] in GLOBAL_GROUPS and (not self.all_projects or self.assigned):
            return False
        return allows(self.permissions, wanted)

    def covers(self, project_id: str | None) -> bool:
        return self.all_projects or (project_id is not None and project_id in self.projects)


@dataclass(frozen=True)
class Grants:
    """Everything the policy needs to know about one user."""

    user_id: str | None
    grants: tuple[Grant, ...]
    #: Internal writes (seeding, administration commands) that no user makes.
    system: bool = False

    @cached_property
    def superuser(self) -> bool:
        """Everything everywhere: a grant on all projects of a role with the ``*`` permission."""
        return self.system or any(g.all_projects and not g.assigned and "*" in g.permissions for g in self.grants)

    def holding(self, wanted: str) -> list[Grant]:
        return [g for g in self.grants if g.allows(wanted)]

    def roles_on(self, project_id: str | None) -> set[str]:
        """Ids of the (non-assigned) roles the user holds on ``project_id``."""
        return {g.role_id for g in self.grants if not g.assigned and g.covers(project_id)}


SYSTEM = Grants(None, (), system=True)


def decode_permissions(value: object) -> frozenset[str]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return frozenset()
    if not isinstance(value, list):
        return frozenset()
    return frozenset(v for v in value if isinstance(v, str))


def statement(catalog: Catalog) -> sa.Select:
    """The query of one user's grants (user id bound as ``user_id``): built once per server."""
    registry = catalog.registry
    grant = catalog.table(registry.get("UserSecurityRole"))
    role = catalog.table(registry.get("SecurityRole"))
    link = catalog.table(registry.get("UserSecurityRoleProject"))
    all_projects = registry.get("UserSecurityRole").properties["is_all_projects"].column
    return (
        sa.select(grant.c.id, grant.c[all_projects], role.c.id, role.c.name, role.c.type, role.c.permissions,
                  link.c.project_id)
        .join(role, role.c.id == grant.c.security_role_id)
        .outerjoin(link, link.c.user_security_role_id == grant.c.id)
        .where(grant.c.user_id == sa.bindparam("user_id"))
    )


def compiled(catalog: Catalog, dialect: sa.Dialect) -> CompiledSelect:
    """:func:`statement` compiled once for ``dialect`` (the cheapest way to run it per request)."""
    stand_in = "clapboard-user-" + secrets.token_hex(8)
    return CompiledSelect(statement(catalog).params(user_id=stand_in), dialect, {stand_in: 0})


def load(catalog: Catalog, connection: sa.Connection, user_id: str,
         prepared: sa.Select | CompiledSelect | None = None) -> Grants:
    """The grants of ``user_id`` as stored now (``prepared``: :func:`statement` or :func:`compiled`)."""
    if isinstance(prepared, CompiledSelect):
        return decode_rows(user_id, prepared.rows(connection, (user_id,)))
    rows = connection.execute(prepared if prepared is not None else statement(catalog), {"user_id": user_id})
    return _decode(user_id, rows)


def decode_rows(user_id: str, fetched: Iterable[Any]) -> Grants:
    """The grants of ``user_id`` from the rows of :func:`compiled`."""
    rows = tuple(map(tuple, fetched))
    return _decoded(user_id, rows) if len(rows) <= _MEMO_ROWS else _decode(user_id, rows)


#: Grants read as fewer rows than this are decoded once per distinct rows (the rows are still
#: read on every request: only their Python form is shared).
_MEMO_ROWS = 64


def _decode(user_id: str, rows: Iterable[tuple]) -> Grants:
    found: dict[str, tuple] = {}
    projects: dict[str, set[str]] = {}
    for grant_id, everywhere, role_id, name, kind, permissions, project_id in rows:
        found.setdefault(grant_id, (role_id, name, kind, decode_permissions(permissions), bool(everywhere)))
        bucket = projects.setdefault(grant_id, set())
        if project_id is not None:
            bucket.add(project_id)
    return Grants(user_id, tuple(
        Grant(role_id, name, kind, permissions, everywhere, frozenset(projects[grant_id]))
        for grant_id, (role_id, name, kind, permissions, everywhere) in sorted(found.items())
    ))


#: :func:`_decode` of rows seen before: an immutable Grants, shared.
_decoded = functools.lru_cache(maxsize=256)(_decode)
