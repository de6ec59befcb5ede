"""End-to-end tests: the real platform clients against loopback stand-ins."""
