"""gunicorn's logger with secrets masked in the access log (``--logger-class`` in the Dockerfile
and compose.yaml).

The access line holds the request line, the query string and the referrer: a tracking PIN
(``/track/?code=…&pin=…``), a one-time code or a token in any of them is masked before the line
is written, whichever handler gunicorn or Django's LOGGING gives the access logger.
"""

from gunicorn.glogging import Logger

from portal.logging import redact


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}
