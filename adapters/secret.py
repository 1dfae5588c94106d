"""Secrets (tokens, certificate passwords) read from where a deployment keeps them, and never shown.

A `Secret` prints as `***` in every repr, str and format, so a secret that ends up in an error, a log line or
JSON output reveals nothing; only `reveal()` gives the value, and only the code that sends it calls that.
Configuration names where a secret lives (an environment variable or a file), never the secret itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from engine.errors import RutinError

MASK = "***"


class Secret:
    __slots__ = ("_value", "origin")

    def __init__(self, value: str, origin: str) -> None:
        self._value = value
        self.origin = origin  # where it came from ("env RUTIN_BER_TOKEN", "file /run/secrets/ber"), safe to show

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK} from {self.origin})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret is not pickled")


@dataclass(frozen=True)
class SecretRef:
    """Where a secret lives: an environment variable or a file (whose first line is the secret)."""

    env: str | None = None
    file: Path | None = None

    def describe(self) -> str:
        return f"env {self.env}" if self.env else f"file {self.file}"

    def load(self, what: str) -> Secret:
        if self.env:
            value = os.environ.get(self.env, "").strip()
            if not value:
                raise RutinError(
                    f"{what}: the environment variable {self.env} is not set or empty",
                    f"set {self.env} in the environment of rutin (the worker's service file, the shell)",
                    sv=(
                        f"{what}: miljövariabeln {self.env} saknas eller är tom",
                        f"sätt {self.env} i rutins miljö (workerns tjänstefil, skalet)",
                    ),
                )
            return Secret(value, self.describe())
        assert self.file is not None
        try:
            lines = self.file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise RutinError(
                f"{what}: the secret file {self.file} cannot be read ({exc.strerror})",
                "check the path in the adapters configuration and that rutin's user may read it",
                sv=(
                    f"{what}: filen {self.file} med hemligheten går inte att läsa ({exc.strerror})",
                    "kontrollera sökvägen i adapterkonfigurationen och att rutins användare får läsa filen",
                ),
            ) from None
        value = lines[0].strip() if lines else ""
        if not value:
            raise RutinError(
                f"{what}: the secret file {self.file} is empty",
                "put the secret on the file's first line",
                sv=(f"{what}: filen {self.file} med hemligheten är tom", "skriv hemligheten på filens första rad"),
            )
        return Secret(value, self.describe())
