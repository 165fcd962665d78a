"""Checks of creates, updates, deletes and key resets, before they reach the database."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import PermissionDeniedError, ValidationError
from ..schema import EntityType
from .anchors import GLOBAL, anchor
from .decide import Decider
from .grants import Grants
from .locate import Locator, Place
from .vocabulary import GROUPS, PROFILE_ATTRIBUTES, STATUS_ATTRIBUTES, invalid_permissions

if TYPE_CHECKING:
    from ..query.scope import Catalog


class WriteGuard:
    """The write checks of one batch, for one user."""

    def __init__(self, catalog: Catalog, connection: sa.Connection, grants: Grants) -> None:
        self.catalog = catalog
        self.grants = grants
        self.locator = Locator(catalog, connection)
        self.decider = Decider(catalog, connection, grants)

    @property
    def unrestricted(self) -> bool:
        return self.grants.superuser

    def place(self, entity_type: EntityType, row: dict[str, Any]) -> Place:
        return self.locator.place(entity_type.table, row)

    def check(self, action: str, entity_type: EntityType, row: dict[str, Any], changed: Iterable[str] = ()) -> None:
        """Refuse ``action`` on ``row`` (a stored or about-to-be-stored row) when not permitted."""
        self.validate(entity_type, row, action)
        if self.grants.superuser:
            return
        place = self.place(entity_type, row)
        changed = set(changed) - {"__entity_type__"}
        if anchor(place.table).kind == GLOBAL:
            self._refuse_self_grant(action, entity_type, row)
        alternatives: tuple[str, ...] = ()
        if action == "update" and place.group in ("contexts", "versions") and changed and changed <= STATUS_ATTRIBUTES:
            alternatives = ("statuses.update",)
        missing = self.decider.may(action, place, alternatives)
        if missing is not None and not self._own_profile(action, entity_type, row, changed):
            raise denied(action, entity_type, row, place, missing)

    @staticmethod
    def validate(entity_type: EntityType, row: dict[str, Any], action: str) -> None:
        """Checks of data the policy reads: a role's permissions must be in the vocabulary."""
        if entity_type.table == "security_role" and action != "delete":
            validate_role(row)

    def _refuse_self_grant(self, action: str, entity_type: EntityType, row: dict[str, Any]) -> None:
        if entity_type.table == "user_security_role" and row.get("user_id") == self.grants.user_id:
            raise PermissionDeniedError(
                f"Permission denied: cannot {action} UserSecurityRole {row.get('id')}: users cannot grant "
                "themselves roles."
            )
        if entity_type.table == "user_security_role_project":
            grant = self.catalog.tables["user_security_role"]
            owner = self.locator.connection.execute(
                sa.select(grant.c.user_id).where(grant.c.id == row.get("user_security_role_id"))).scalar()
            if owner == self.grants.user_id:
                raise PermissionDeniedError(
                    f"Permission denied: cannot {action} UserSecurityRoleProject {row.get('id')}: users cannot "
                    "grant themselves roles."
                )

    def _own_profile(self, action: str, entity_type: EntityType, row: dict[str, Any], changed: set[str]) -> bool:
        return (action == "update" and entity_type.name == "User" and row.get("id") == self.grants.user_id
                and bool(changed) and changed <= PROFILE_ATTRIBUTES)

    def check_key_reset(self, user_id: str) -> None:
        """Only the user themselves, or an Administrator/API user, may reset a user's API key."""
        if self.grants.superuser or user_id == self.grants.user_id:
            return
        raise PermissionDeniedError(
            f"Permission denied: cannot reset the API key of user {user_id}: only the user or an "
            "Administrator/API user may (missing permission '*' on all projects)."
        )

    def check_component(self, action: str, component_id: str) -> None:
        """Check ``action`` on a component's data (read: download; update: upload; delete: remove)."""
        if self.grants.superuser:
            return
        component_type = self.catalog.registry.get("Component")
        table = self.catalog.table(component_type)
        row = self.locator.connection.execute(sa.select(table).where(table.c.id == component_id)).mappings().first()
        if row is None:
            if action == "read":
                return  # nothing to reveal: the file is answered as missing
            row = {"id": component_id}  # not committed (or deleted): needs the permission on some project
            action = "create" if action == "update" else action
        self.check(action, component_type, dict(row))


def validate_role(row: dict[str, Any]) -> None:
    """A role's permissions must be a list in the vocabulary (see :mod:`.vocabulary`)."""
    value = row.get("permissions")
    if value is None:
        return
    try:
        permissions = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        permissions = value
    bad = invalid_permissions(permissions)
    if bad:
        raise ValidationError(
            f"SecurityRole {row.get('name')!r}: unknown permission(s) {', '.join(bad)}; permissions are a list of "
            f"'<group>.<action>' with a group among {', '.join(sorted(GROUPS))} (or '*') and an action among "
            f"read, create, update, delete (or '*')."
        )


def denied(action: str, entity_type: EntityType, row: dict[str, Any], place: Place, missing: str) -> PermissionDeniedError:
    key = ", ".join(str(row.get(name)) for name in entity_type.primary_key)
    where = f" in project {place.project_id}" if place.project_id else ""
    return PermissionDeniedError(
        f"Permission denied: cannot {action} {entity_type.name} {key}{where}: missing permission '{missing}'."
    )
