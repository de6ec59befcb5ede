"""Slack's request signature, checked on the raw bytes before anything parses them.

Slack signs every request: ``X-Slack-Signature: v0=<hex HMAC-SHA256(signing secret, "v0:{ts}:{body}")>`` with
``X-Slack-Request-Timestamp: {ts}`` (Unix seconds). A request whose signature is missing, malformed or wrong,
or whose timestamp is more than five minutes from now (a replay), did not come from Slack (or not just now).
The check reads nothing but the two headers and the bytes; time comes from the clock it is given.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import timedelta

from core.clock import Clock

TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"
MAX_AGE = timedelta(minutes=5)
# Plain ASCII digits only: int() would also take "١٢٣", " 12 " or "1_000", and thousands of digits cost time.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class SignatureRefused(Exception):
    """The request is not Slack's: the message says why, for the log and the 401 answer."""


class SlackSignature:
    """Checks requests against one signing secret, with time from ``clock``."""

    def __init__(self, signing_secret: str, clock: Clock) -> None:
        self._key = signing_secret.encode()
        self._clock = clock

    def expected(self, body: bytes, timestamp: str) -> str:
        """The signature Slack would send with ``body`` at ``timestamp``."""
        base = b"v0:" + timestamp.encode("ascii") + b":" + body
        return "v0=" + hmac.new(self._key, base, hashlib.sha256).hexdigest()

    def check(self, body: bytes, timestamp: str | None, signature: str | None) -> None:
        """Return if ``body`` was signed by Slack within the last five minutes; else raise ``SignatureRefused``."""
        if not timestamp or not signature:
            raise SignatureRefused("The request is not signed by Slack.")
        if not _TIMESTAMP.fullmatch(timestamp):
            raise SignatureRefused("The request timestamp is malformed.")
        now = self._clock.now().timestamp()
        if abs(now - int(timestamp)) > MAX_AGE.total_seconds():
            raise SignatureRefused("The request timestamp is too far from now.")
        # Compared in constant time, whatever the header holds: a wrong one costs as long as a nearly right one.
        given = signature.encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(self.expected(body, timestamp).encode("ascii"), given) or \
                not _SIGNATURE.fullmatch(signature):
            raise SignatureRefused("The request signature is wrong.")
