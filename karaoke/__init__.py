"""The service as a whole: settings, the composition root (``bootstrap``) and the ``karaoke`` CLI."""
