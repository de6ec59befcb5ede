"""Filling the page templates: every value is HTML-escaped unless it is ``Markup`` we built ourselves."""

from __future__ import annotations

import hashlib
import html
import json
import re
from functools import cache
from importlib.resources import files
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
_STATIC_LINK = re.compile(r'(src|href)="/static/([\w.-]+)"')


class Markup(str):
    """Text that is already HTML, made by this package (never from user input)."""


def escape(value: object) -> str:
    """``value`` as HTML text; ``Markup`` stays as it is."""
    return value if isinstance(value, Markup) else html.escape(str(value), quote=True)


@cache
def static_url(name: str) -> str:
    """Where the pages load the static file ``name`` from: its URL changes with its content, so a browser
    never runs a new page with an old cached script."""
    content = files("api.pages").joinpath("static", name).read_bytes()
    return f"/static/{name}?v={hashlib.sha256(content).hexdigest()[:12]}"


@cache
def template(name: str) -> str:
    """A template of this package, read once, its links to ``/static`` files versioned by their content."""
    text = files("api.pages").joinpath("templates", name).read_text(encoding="utf-8")
    return _STATIC_LINK.sub(lambda m: f'{m.group(1)}="{static_url(m.group(2))}"', text)


def render(name: str, /, **values: object) -> Markup:
    """The template ``name`` with each ``{{ key }}`` replaced by its escaped value."""
    text = template(name)
    return Markup(_PLACEHOLDER.sub(lambda match: escape(values[match.group(1)]), text))


def json_script(element_id: str, data: Any) -> Markup:
    """Data for the page's script, as a JSON ``<script>`` that no string inside can break out of."""
    payload = json.dumps(data).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(f'<script type="application/json" id="{html.escape(element_id)}">{payload}</script>')
