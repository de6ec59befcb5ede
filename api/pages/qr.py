"""The join link and its QR code for the venue screen."""

from __future__ import annotations

from urllib.parse import quote

import segno

from api.pages.render import Markup


def telegram_link(bot_username: str, code: str) -> str:
    """The deep link that opens the bot and joins the show in one tap."""
    return f"https://t.me/{bot_username.lstrip('@')}?start={code}"


def web_join_link(base_url: str, code: str) -> str:
    """The show's web join page under ``base_url`` (``https://karaoke.example``), for a phone's camera."""
    return f"{base_url.rstrip('/')}/join/{quote(code)}"


def qr_svg(text: str) -> Markup:
    """``text`` as an inline SVG QR code, one user unit per module, sized by CSS."""
    qr = segno.make_qr(text, error="m")
    svg = qr.svg_inline(scale=1, border=4, dark="#000", light="#fff", omitsize=True, svgclass="qr", title=text)
    return Markup(svg)
