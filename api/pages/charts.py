"""Bar charts drawn on the server as inline SVG: no script, no style attribute, nothing fetched.

Across the chart, positions are percentages of its width, so a chart fills a phone or a wide screen without
scaling its text; down, they are pixels. Colours and fonts come from the page's stylesheet (classes only).
"""

from __future__ import annotations

from collections.abc import Sequence

from api.pages.render import Markup, escape

_ROW = 44  # a label line and its bar
_BAR = 14
_LABEL_MAX = 44
_WIDEST = 84.0  # percent of the width a bar may take; its count follows it
_HOURS_HEIGHT = 150
_HOURS_AXIS = 22


def _short(text: str, limit: int = _LABEL_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _pct(value: float) -> str:
    return f"{value:.2f}%"


def bars(items: Sequence[tuple[str, int]], *, label: str) -> Markup:
    """A horizontal bar per item (its text above, its count after it), the largest count the longest bar;
    ``label`` names the chart for screen readers. Nothing to draw: an empty ``Markup``."""
    if not items:
        return Markup("")
    most = max(count for _, count in items) or 1
    parts = [f'<svg class="chart bars" width="100%" height="{_ROW * len(items)}" role="img" '
             f'aria-label="{escape(label)}">']
    for n, (text, count) in enumerate(items):
        top = n * _ROW
        width = max(_WIDEST * count / most, 0.5)
        parts.append(
            f'<g><title>{escape(text)}: {count}</title>'
            f'<text class="label" x="0" y="{top + 16}">{escape(_short(text))}</text>'
            f'<rect class="bar" x="0" y="{top + 22}" width="{_pct(width)}" height="{_BAR}" rx="3"></rect>'
            f'<text class="count" x="{_pct(width)}" dx="6" y="{top + 34}">{count}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def hours(counts: Sequence[tuple[int, int]], *, label: str) -> Markup:
    """A column per hour of the day, 0 to 23, as tall as the songs started in it; every third hour named."""
    if not counts:
        return Markup("")
    by_hour = dict(counts)
    most = max(by_hour.values()) or 1
    step = 100 / 24
    parts = [f'<svg class="chart hours" width="100%" height="{_HOURS_HEIGHT + _HOURS_AXIS}" role="img" '
             f'aria-label="{escape(label)}">']
    for hour in range(24):
        count = by_hour.get(hour, 0)
        height = round((_HOURS_HEIGHT - 18) * count / most)
        x = hour * step
        parts.append(f'<g><title>{hour:02d}:00 UTC: {count}</title>'
                     f'<rect class="bar" x="{_pct(x + step * 0.12)}" y="{_HOURS_HEIGHT - height}" '
                     f'width="{_pct(step * 0.76)}" height="{height}" rx="2"></rect>')
        if count == most:
            parts.append(f'<text class="count" x="{_pct(x + step / 2)}" y="{_HOURS_HEIGHT - height - 5}" '
                         f'text-anchor="middle">{count}</text>')
        parts.append("</g>")
        if hour % 3 == 0:
            parts.append(f'<text class="axis" x="{_pct(x + step / 2)}" y="{_HOURS_HEIGHT + 16}" '
                         f'text-anchor="middle">{hour:02d}</text>')
    parts.append(f'<line class="baseline" x1="0" x2="100%" y1="{_HOURS_HEIGHT}" y2="{_HOURS_HEIGHT}"></line>')
    parts.append("</svg>")
    return Markup("".join(parts))
