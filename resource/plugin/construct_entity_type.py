"""Default plugin: build the session's entity classes with a customisable factory.

The session publishes ``ftrack.api.session.construct-entity-type`` for each schema and uses
the class a plugin returns (a :class:`~clapboard.entity.factory.StandardFactory` builds the
classes no plugin returns). Put this file's folder on ``CLAPBOARD_EVENT_PLUGIN_PATH`` (or
pass it in ``plugin_paths``) and edit :class:`Factory` to tailor entity classes::

    class Factory(clapboard.entity.factory.StandardFactory):
        def create(self, schema, bases=None):
            if schema["id"] == "Shot":
                bases = [ShotHelpers, *(bases or [])]
            return super().create(schema, bases=bases)
"""

import logging

import clapboard.entity.factory
import clapboard.session

logger = logging.getLogger("clapboard.plugin.construct_entity_type")


class Factory(clapboard.entity.factory.StandardFactory):
    """Entity class factory: override :meth:`create` to add bases or helpers."""


def register(session):
    """Register plugin with *session*."""
    if not isinstance(session, clapboard.session.Session):
        logger.debug("Not a clapboard session: %r; not registering.", session)
        return
    factory = Factory()

    def construct_entity_type(event):
        """Return the class of the schema in *event*."""
        return factory.create(event["data"]["schema"])

    session.event_hub.subscribe("topic=ftrack.api.session.construct-entity-type", construct_entity_type)
