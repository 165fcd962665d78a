"""Default plugin: configure the session's locations once its entity classes are built.

The session publishes ``ftrack.api.session.configure-location`` synchronously, with the
session in ``event["data"]["session"]``, before ``ftrack.api.session.ready``. Edit
:func:`configure_locations` to give locations an accessor, a structure and a priority, e.g.::

    location = session.query('Location where name is "studio.disk"').one()
    location.accessor = clapboard.accessor.disk.DiskAccessor(prefix="/mnt/projects")
    location.structure = clapboard.structure.id.IdStructure()
    location.priority = 50
"""

import logging

import clapboard.session

logger = logging.getLogger("clapboard.plugin.configure_locations")


def configure_locations(event):
    """Configure locations for the session in *event*."""
    session = event["data"]["session"]
    logger.debug("Configuring locations of %r.", session)


def register(session):
    """Register plugin with *session*."""
    if not isinstance(session, clapboard.session.Session):
        logger.debug("Not a clapboard session: %r; not registering.", session)
        return
    session.event_hub.subscribe("topic=ftrack.api.session.configure-location", configure_locations)
