"""The karaoke domain, free of any platform, web framework, ORM or scheduler.

- ``core.catalog``: what a song is and how its text is cleaned.
- ``core.search``: fuzzy catalog search (normalisation, index, ranking).
- ``core.rotation``: the event-sourced singer rotation of a show.
"""
