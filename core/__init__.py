"""The karaoke domain, free of any platform, web framework, ORM or scheduler (a test enforces it).

- ``core.catalog``: the song catalog: what a song is, its store port, the use cases, the importers
  (KaraFun, CSV, media folders) and ``core.catalog.search``, fuzzy search over it.
- ``core.rotation``: the event-sourced singer rotation of a show: commands, events, the fold, the
  queue with ETAs, and ``RotationService`` over the ``ShowStore`` port.
- ``core.chat``: the conversation every bot holds: the command table, singer and KJ commands,
  buttons, and every sentence in one keyed catalogue.
- ``core.delivery``: getting chat updates in and replies out exactly once: the inbox and outbox
  ports, the worker and dispatcher, the platforms' rate limits.
- ``core.reminders``: what singers and KJs are told about their turn, and when, exactly once.
- ``core.clock`` (time, sleeping and scheduling as ports), ``core.repeat`` (a background loop with
  start and stop), ``core.envelope`` (the one error body every HTTP answer uses).
"""
