"""Computed attributes that are SQL expressions, so they work in filters and ordering too."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ..errors import ValidationError
from ..schema import EntityType, Property
from ..schema.tables import ANCESTRY_TABLE
from ..values import utc_now

if TYPE_CHECKING:
    from .scope import Catalog

Expression = Callable[["Catalog", sa.Alias, EntityType], sa.ColumnElement]
_EXPRESSIONS: dict[str, Expression] = {}


def register(name: str) -> Callable[[Expression], Expression]:
    def decorator(function: Expression) -> Expression:
        _EXPRESSIONS[name] = function
        return function
    return decorator


def is_sql(name: str) -> bool:
    return name in _EXPRESSIONS


def expression(catalog: Catalog, alias: sa.Alias, owner: EntityType, prop: Property) -> sa.ColumnElement:
    function = _EXPRESSIONS.get(prop.computed)
    if function is None:
        raise ValidationError(f"{owner.name}.{prop.name} is computed and cannot be used in filters or ordering.")
    return function(catalog, alias, owner)


def _table(catalog: Catalog, type_name: str) -> sa.Table:
    return catalog.table(catalog.registry.get(type_name))


@register("time_logged")
def time_logged(catalog: Catalog, alias: sa.Alias, owner: EntityType) -> sa.ColumnElement:
    """Seconds logged on the context and everything below it."""
    timelog = _table(catalog, "Timelog").alias()
    ancestry = catalog.tables[ANCESTRY_TABLE]
    below = sa.select(ancestry.c.context_id).where(ancestry.c.ancestor_id == alias.c.id).correlate(alias)
    return (
        sa.select(sa.func.coalesce(sa.func.sum(timelog.c.duration), 0.0))
        .where(sa.or_(timelog.c.context_id == alias.c.id, timelog.c.context_id.in_(below)))
        .correlate(alias)
        .scalar_subquery()
    )


@register("bid_time_logged_difference")
def bid_time_logged_difference(catalog: Catalog, alias: sa.Alias, owner: EntityType) -> sa.ColumnElement:
    return sa.func.coalesce(alias.c.bid, 0.0) - time_logged(catalog, alias, owner)


@register("latest_version")
def latest_version(catalog: Catalog, alias: sa.Alias, owner: EntityType) -> sa.ColumnElement:
    """Id of the asset's version with the highest number."""
    version = _table(catalog, "AssetVersion").alias()
    return (
        sa.select(version.c.id)
        .where(version.c.asset_id == alias.c.id)
        .order_by(version.c.version.desc())
        .limit(1)
        .scalar_subquery()
    )


@register("is_latest_version")
def is_latest_version(catalog: Catalog, alias: sa.Alias, owner: EntityType) -> sa.ColumnElement:
    version = _table(catalog, "AssetVersion").alias()
    highest = sa.select(sa.func.max(version.c.version)).where(version.c.asset_id == alias.c.asset_id).scalar_subquery()
    return sa.case((alias.c.version == highest, sa.true()), else_=sa.false())


@register("custom_attribute_key")
def custom_attribute_key(catalog: Catalog, alias: sa.Alias, owner: EntityType) -> sa.ColumnElement:
    configuration = _table(catalog, "CustomAttributeConfiguration").alias()
    return sa.select(configuration.c.key).where(configuration.c.id == alias.c.configuration_id).scalar_subquery()


@register("review_session_is_open")
def review_session_is_open(catalog: Catalog, alias: sa.Alias, owner: EntityType) -> sa.ColumnElement:
    now = sa.bindparam("now", callable_=utc_now, type_=sa.DateTime)
    return sa.case((sa.or_(alias.c.end_date.is_(None), alias.c.end_date > now), sa.true()), else_=sa.false())


@register("review_session_thumbnail_id")
def review_session_thumbnail_id(catalog: Catalog, alias: sa.Alias, owner: EntityType) -> sa.ColumnElement:
    """The thumbnail of the first version in the session."""
    item = _table(catalog, "ReviewSessionObject").alias()
    version = _table(catalog, "AssetVersion").alias()
    return (
        sa.select(version.c.thumbnail_id)
        .join(version, version.c.id == item.c.version_id)
        .where(item.c.review_session_id == alias.c.id)
        .order_by(item.c.sort_order)
        .limit(1)
        .scalar_subquery()
    )
