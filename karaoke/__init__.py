"""The service as a whole, the one place that knows every part.

- ``karaoke.settings``: configuration, read from the environment once.
- ``karaoke.bootstrap``: the composition root: ``build`` wires stores, services and adapters around one
  clock; ``background`` starts and stops the background parts.
- ``karaoke.platforms``: the chat platforms whose tokens are set; ``karaoke.scheduler``: APScheduler.
- ``karaoke.cli``: the ``karaoke`` command line.
"""
