"""Embeddable widgets: pages the server renders for an entity, behind signed short-lived URLs.

``get_widget_url`` answers ``{server}/widget/<name>?token=<token>``; the token (see
:mod:`clapboard_server.signing`) names the user who asked, the widget, the entity and the theme,
and expires after :data:`TOKEN_TTL` seconds, as ftrack's do. The page reads its data through the
server's normal API path as that user, so it shows no more than the user could query.

- :mod:`.pages`: the data of each widget;
- :mod:`.render`: escaped HTML for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ValidationError
from ..signing import InvalidTokenError, Signer
from ..storage.files import check_id
from . import pages, render

if TYPE_CHECKING:
    from ..server import Server

#: The widgets there are.
NAMES = ("info", "tasks", "tasks_browser")
#: Widgets that need an entity.
NEEDS_ENTITY = frozenset({"info"})
THEMES = ("dark", "light")
#: How long a widget URL works, in seconds (ftrack's: 6 minutes).
TOKEN_TTL = 360
PURPOSE = "widget"


class Widgets:
    """Hands out widget URLs and renders the pages they lead to."""

    def __init__(self, server: Server, signer: Signer) -> None:
        self.server = server
        self.signer = signer

    def url(self, server_url: str, user_id: str, name: Any, entity_type: Any = None, entity_id: Any = None,
            theme: Any = None) -> str:
        """A signed URL of widget ``name`` for ``entity_type``/``entity_id``, valid for :data:`TOKEN_TTL` s."""
        if name not in NAMES:
            raise ValidationError(f"Unknown widget {name!r}: use one of {', '.join(NAMES)}.")
        if entity_type is None and name in NEEDS_ENTITY:
            raise ValidationError(f"The {name} widget needs an entity.")
        claims: dict[str, Any] = {"user": user_id, "name": name, "theme": theme if theme in THEMES else "dark"}
        if entity_type is not None:
            if entity_type not in self.server.registry.types:
                raise ValidationError(f"Unknown entity type {entity_type!r}.")
            claims.update(type=entity_type, id=check_id(entity_id))
        token = self.signer.sign(PURPOSE, claims, TOKEN_TTL)
        return f"{server_url.rstrip('/')}/widget/{name}?token={token}"

    def page(self, name: str, token: str | None) -> str:
        """The HTML of widget ``name`` for the signed ``token``; raise an ApiError when refused."""
        claims = self.signer.verify(PURPOSE, token)
        if claims.get("name") != name:
            raise InvalidTokenError("The link is not valid for this page.")
        self.server.authenticator.check_active(claims["user"])
        view = pages.gather(self.server, claims)
        return render.page(view, claims.get("theme", "dark"))
