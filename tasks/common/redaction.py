"""Keep notification secrets out of log records.

Apprise logs, at DEBUG, the full request URL of a send (DingTalk's `access_token=…`, a
template value resolved into a URL path), urllib3 logs the request line with its query, and
httpx (the vendor schemes of tasks/notify/channels.py) logs every request URL at INFO.
None is shown by default, but an operator who turns on debug logging to chase a failed
delivery must not print the tokens. `guard_logs` puts one filter on those loggers that
replaces every known secret value with `***` before any handler (console, Prefect's API log
handler, Apprise's own log capture) sees the record.

Which values are secret: the tokens Apprise itself marks private on each loaded service
(`template_tokens[...]["private"]`, e.g. a json:// password or a DingTalk token written in the
config), the `APPRISE_TEMPLATE_<NAME>` environment values of the template variables a service
needs (secrets normally come from there), and secrets written into the settings of the vendor
schemes (tasks/notify/adapter.py).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

REDACTED = "***"
# Loggers that print request URLs or their query strings.
GUARDED_LOGGERS = ("apprise", "urllib3.connectionpool", "httpx")
# Shorter "secrets" would blank out ordinary words; such a secret is too weak to guard anyway.
MIN_SECRET_LENGTH = 4


def service_secrets(services: Iterable[Any]) -> set[str]:
    """The secret values of loaded Apprise services (plugins and `${var}` templates)."""
    found: set[str] = set()
    for service in services:
        tokens = getattr(service, "template_tokens", {}) or {}
        for name, spec in tokens.items():
            if isinstance(spec, dict) and spec.get("private"):
                value = getattr(service, spec.get("map_to", name), None)
                if isinstance(value, str):
                    found.add(value)
        for variable in getattr(service, "template_required", ()) or ():
            found.add(os.environ.get(f"APPRISE_TEMPLATE_{str(variable).upper()}", ""))
    return {value for value in found if len(value.strip()) >= MIN_SECRET_LENGTH}


class SecretRedactor(logging.Filter):
    """A logging filter that replaces known secret values (and their URL-quoted forms)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Guard more values; the longest first, so a secret containing another goes whole."""
        values = set(self._secrets)
        for secret in secrets:
            if len(secret.strip()) >= MIN_SECRET_LENGTH:
                values |= {secret, quote(secret, safe="")}
        self._secrets = sorted(values, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            message = record.getMessage()
            redacted = self.redact(message)
            if redacted != message:
                record.msg, record.args = redacted, None
        return True


_REDACTOR = SecretRedactor()


def guard_logs(secrets: Iterable[str]) -> None:
    """Redact `secrets` from Apprise's and urllib3's log records in this process from now on."""
    _REDACTOR.add(secrets)
    for name in GUARDED_LOGGERS:
        logger = logging.getLogger(name)
        if _REDACTOR not in logger.filters:
            logger.addFilter(_REDACTOR)
