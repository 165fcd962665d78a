"""SQLAlchemy tables built from the registry: one table per storage table name."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .loader import SchemaError
from .model import COLLECTION, REFERENCE, SCALAR
from .registry import Registry

_COLUMN_TYPES = {
    "string": sa.Text,
    "integer": sa.Integer,
    "number": sa.Float,
    "boolean": sa.Boolean,
    "datetime": sa.DateTime,
    "json": sa.Text,
    "variable": sa.Text,
}

#: Tables the server maintains itself (not entity types).
ANCESTRY_TABLE = "context_ancestor"
API_KEY_TABLE = "api_key"
SETTING_TABLE = "server_setting"
TOKEN_USE_TABLE = "storage_token_use"
IDEMPOTENCY_TABLE = "idempotency_key"
EVENT_SESSION_TABLE = "event_session"


def _key_type(registry: Registry, type_name: str) -> str:
    """Data type of the (first) primary key of ``type_name``: what its references store."""
    target = registry.types.get(type_name)
    if target is None or not target.primary_key:
        return "string"
    return target.properties[target.primary_key[0]].data_type


def build_tables(registry: Registry) -> tuple[sa.MetaData, dict[str, sa.Table]]:
    """Create the SQLAlchemy ``MetaData`` holding every table of ``registry``."""
    metadata = sa.MetaData()
    columns: dict[str, dict[str, str]] = {}
    primary_keys: dict[str, list[str]] = {}
    indexed: dict[str, set] = {}
    #: table -> unique column lists, each with the discriminator of the type declaring it.
    uniques: dict[str, list[tuple[tuple[str, ...], tuple[tuple[str, Any], ...]]]] = {}
    link_tables: dict[str, tuple[str, str]] = {}

    def add_column(table: str, column: str, data_type: str, owner: str) -> None:
        known = columns.setdefault(table, {})
        if known.get(column, data_type) != data_type:
            raise SchemaError(
                f"{owner}.json: column {table}.{column} is {data_type} here but "
                f"{known[column]} in another type of the same table"
            )
        known[column] = data_type

    for entity_type in registry.types.values():
        table = entity_type.table
        primary_keys.setdefault(table, entity_type.primary_key)
        table_indexes = indexed.setdefault(table, set())
        for prop in entity_type.properties.values():
            if prop.kind == SCALAR and prop.stored:
                add_column(table, prop.column, prop.data_type, entity_type.name)
                for data_type, column in prop.typed_columns.items():
                    add_column(table, column, data_type, entity_type.name)
            elif prop.kind == REFERENCE and not prop.computed:
                add_column(table, prop.column, _key_type(registry, prop.target), entity_type.name)
                table_indexes.add((prop.column,))
                if prop.type_column:
                    add_column(table, prop.type_column, "string", entity_type.name)
            elif prop.kind == COLLECTION and prop.inverse:
                target = registry.types.get(prop.target)
                if target is not None:
                    indexed.setdefault(target.table, set()).add((prop.inverse,))
            if prop.kind == COLLECTION and prop.through:
                link, source, destination = prop.through
                if link not in registry.types:
                    link_tables[link] = (source, destination) if source < destination else (destination, source)
                else:
                    link_table = registry.types[link].table
                    indexed.setdefault(link_table, set()).update({(source,), (destination,)})
        for column in entity_type.where:
            table_indexes.add((column,))
        table_indexes.update(tuple(i) for i in entity_type.index)
        for unique in entity_type.unique:
            entry = (tuple(unique), tuple(sorted(entity_type.where.items())))
            if entry not in uniques.setdefault(table, []):
                uniques[table].append(entry)

    tables: dict[str, sa.Table] = {}
    for table_name, table_columns in columns.items():
        key = primary_keys[table_name]
        sa_columns = [
            sa.Column(name, _COLUMN_TYPES[data_type](), primary_key=name in key, nullable=name not in key)
            for name, data_type in sorted(table_columns.items(), key=lambda item: (item[0] not in key, item[0]))
        ]
        constraints = [
            sa.UniqueConstraint(*unique, name=f"uq_{table_name}_{'_'.join(unique)}")
            for unique, where in uniques.get(table_name, []) if not where
        ]
        table = sa.Table(table_name, metadata, *sa_columns, *constraints)
        for unique, where in uniques.get(table_name, []):
            if where:  # unique among the rows of the declaring type only: a partial index
                condition = sa.and_(*(table.c[column] == sa.literal(value, literal_execute=True) for column, value in where))
                sa.Index(f"uq_{table_name}_{'_'.join(unique)}", *(table.c[c] for c in unique), unique=True,
                         sqlite_where=condition, postgresql_where=condition)
        declared = indexed.get(table_name, set())
        for index_columns in sorted(declared):
            if any(len(other) > len(index_columns) and other[:len(index_columns)] == index_columns
                   for other in declared):
                continue  # a longer index starting with the same columns serves its look-ups
            if all(c in table_columns for c in index_columns) and list(index_columns) != key:
                sa.Index(f"ix_{table_name}_{'_'.join(index_columns)}", *[table.c[c] for c in index_columns])
        tables[table_name] = table

    for link, (source, destination) in link_tables.items():
        if link in tables:
            continue
        extra = [sa.Column("depth", sa.Integer, nullable=False)] if link == ANCESTRY_TABLE else []
        tables[link] = sa.Table(
            link, metadata,
            sa.Column(source, sa.Text, primary_key=True),
            sa.Column(destination, sa.Text, primary_key=True),
            *extra,
        )
        sa.Index(f"ix_{link}_{destination}", tables[link].c[destination])

    tables[API_KEY_TABLE] = sa.Table(
        API_KEY_TABLE, metadata,
        sa.Column("key_hash", sa.Text, primary_key=True),
        sa.Column("user_id", sa.Text, nullable=False, index=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    tables[SETTING_TABLE] = sa.Table(
        SETTING_TABLE, metadata,
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    tables[EVENT_SESSION_TABLE] = sa.Table(
        EVENT_SESSION_TABLE, metadata,
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("username", sa.Text, nullable=False),
        sa.Column("key_hash", sa.Text, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False, index=True),
    )
    tables[TOKEN_USE_TABLE] = sa.Table(
        TOKEN_USE_TABLE, metadata,
        sa.Column("signature", sa.Text, primary_key=True),
        sa.Column("expires_at", sa.DateTime, nullable=False, index=True),
    )
    tables[IDEMPOTENCY_TABLE] = sa.Table(
        IDEMPOTENCY_TABLE, metadata,
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("response", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False, index=True),
    )
    return metadata, tables
