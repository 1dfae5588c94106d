"""Structured log lines (one JSON object a line) with personnummer masked wherever they appear."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

# 12 or 10 digits with an optional - or + before the last four: YYYYMMDD-NNNN, YYMMDD-NNNN, YYYYMMDDNNNN
_PERSONNUMMER = re.compile(r"\b(\d{6}(?:\d{2})?)([-+]?)(\d{3}[\dA-Za-z])\b")


def mask(text: str) -> str:
    return _PERSONNUMMER.sub(lambda m: f"{m.group(1)}{m.group(2) or '-'}****", text)


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
        return mask(json.dumps(body, ensure_ascii=False, default=str))


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
