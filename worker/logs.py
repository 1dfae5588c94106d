"""Structured log lines (one JSON object a line) with personnummer and credentials masked wherever they appear.

Secrets should never reach a log line in the first place (adapters.secret.Secret prints as ***, clients scrub what
servers echo); the masking here is the net under that: a bearer token, a basic-auth header or a URL with a password
or a token parameter is shown as *** whatever produced it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

# 12 or 10 digits with an optional - or + before the last four: YYYYMMDD-NNNN, YYMMDD-NNNN, YYYYMMDDNNNN
_PERSONNUMMER = re.compile(r"(?<!\d)(\d{6}(?:\d{2})?)([-+]?)(\d{3}[\dA-Za-z])(?![\dA-Za-z])")


_CREDENTIALS = (
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 ***"),
    (re.compile(r"(?i)(://[^/\s:@]+:)[^@\s/]+@"), r"\1***@"),
    (re.compile(r"(?i)\b((?:access_|api_?|auth_?)?(?:token|key|password|secret)=)[^&\s\"']+"), r"\1***"),
)


def mask(text: str) -> str:
    for pattern, replacement in _CREDENTIALS:
        text = pattern.sub(replacement, text)
    return _PERSONNUMMER.sub(lambda m: f"{m.group(1)}{m.group(2) or '-'}****", text)


def _masked(value: Any) -> Any:
    """Mask the text inside a value; numbers stay numbers, so every line stays valid JSON."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(v) for v in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return mask(str(value))


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "event": record.getMessage(),
        }
        body.update(getattr(record, "fields", {}))
        if record.exc_info:
            body["error"] = self.formatException(record.exc_info).splitlines()[-1]
        return json.dumps(_masked(body), ensure_ascii=False, default=str)


def logger(name: str = "rutin.worker") -> logging.Logger:
    log = logging.getLogger(name)
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonLines())
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    return log


def info(log: logging.Logger, event: str, **fields: Any) -> None:
    log.info(event, extra={"fields": fields})
