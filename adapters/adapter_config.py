"""The adapters configuration: per system, which adapter answers (sandbox, manual, ss12000, pingpong_feed).

A TOML file, given by `--adapters-config PATH` (or `RUTIN_ADAPTERS_CONFIG`, or a path in `RUTIN_ADAPTERS`):

    default = "manual"                  # systems not listed: sandbox or manual

    [systems.BER]
    adapter = "ss12000"
    url = "https://ss12000.example.se/v2.0"
    token_env = "RUTIN_BER_TOKEN"       # or token_file = "/run/secrets/ber-token"
    ca_bundle = "/etc/rutin/ca.pem"     # the server's CA, when it is not a public one
    client_cert = "/etc/rutin/client.pem"
    client_key = "/etc/rutin/client.key"
    client_key_password_env = "RUTIN_BER_KEY_PASSWORD"
    timeout = "10s"
    refresh = "1m"
    fallback_after = "30m"              # then a person answers; leave out to never fall back
    max_response_size = "20 MiB"        # one page's body at most (the default); a larger answer is refused

Secrets are named by where they live (an environment variable or a file), and a secret written into the file
itself is refused. Every mistake is reported with the file, the system and the key, and what to write instead;
nothing is half-configured.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from adapters.secret import Secret, SecretRef
from engine.duration import parse_duration
from engine.errors import RutinError

if TYPE_CHECKING:  # the adapters themselves are imported when built: a command that builds none loads none
    from adapters.fallback import FallbackLog
    from adapters.pingpong_feed import PingPongFeedAdapter
    from adapters.ss12000.adapter import Ss12000Adapter
    from engine.ports import SystemAdapter
    from engine.systems import Systems

KINDS = ("sandbox", "manual", "ss12000", "pingpong_feed")
_COMMON = {"adapter", "fallback_after"}
_KEYS: dict[str, set[str]] = {
    "sandbox": {"adapter"},
    "manual": {"adapter"},
    "ss12000": _COMMON
    | {
        "url",
        "token_env",
        "token_file",
        "verify",
        "ca_bundle",
        "client_cert",
        "client_key",
        "client_key_password_env",
        "client_key_password_file",
        "timeout",
        "refresh",
        "overlap",
        "full_sync_every",
        "page_size",
        "max_response_size",
    },
    "pingpong_feed": _COMMON | {"folder", "students_file"},
}
_INLINE_SECRETS = {"token", "password", "client_key_password", "secret", "api_key"}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)?\s*", re.IGNORECASE)
_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30}
MIN_RESPONSE, MAX_RESPONSE = 1 << 10, 1 << 30


class ConfigError(RutinError):
    """The adapters configuration cannot be used; `where` names the file (and system)."""

    def __init__(self, where: str, message: str, hint: str, sv: tuple[str, str]) -> None:
        super().__init__(f"{where}: {message}", hint, sv=(f"{where}: {sv[0]}", sv[1]))


@dataclass(frozen=True)
class SystemConfig:
    system: str
    adapter: str
    options: Mapping[str, Any] = field(default_factory=dict)  # checked keys; secrets only as references
    fallback_after: timedelta | None = None


@dataclass(frozen=True)
class AdaptersConfig:
    path: Path
    default: str
    systems: Mapping[str, SystemConfig]


def load_config(path: Path) -> AdaptersConfig:
    where = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(
            where,
            f"cannot be read ({exc.strerror})",
            "give the path of the adapters configuration (TOML) with --adapters-config or RUTIN_ADAPTERS_CONFIG",
            (f"går inte att läsa ({exc.strerror})", "ange sökvägen till adapterkonfigurationen (TOML)"),
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            where,
            f"is not valid TOML: {exc}",
            "see docs/adapters.md for an example",
            (f"är inte giltig TOML: {exc}", "se docs/adapters.md för ett exempel"),
        ) from None
    _only(where, raw, {"default", "systems"})
    default = raw.get("default", "sandbox")
    if default not in ("sandbox", "manual"):
        raise ConfigError(
            where,
            f"default = {default!r} is not sandbox or manual",
            'systems not listed are answered by the sandbox or a person: default = "manual"',
            (f"default = {default!r} är varken sandbox eller manual", 'skriv till exempel default = "manual"'),
        )
    systems_raw = raw.get("systems", {})
    if not isinstance(systems_raw, dict):
        raise ConfigError(
            where,
            "[systems] must be a table",
            "write [systems.BER] ...",
            ("[systems] måste vara en tabell", "skriv [systems.BER] ..."),
        )
    systems = {name: _system(where, name, table) for name, table in systems_raw.items()}
    return AdaptersConfig(path, default, systems)


def _system(file: str, name: str, table: object) -> SystemConfig:
    where = f"{file}: [systems.{name}]"
    if not isinstance(table, dict):
        raise ConfigError(
            where,
            "must be a table",
            'write adapter = "ss12000" and its options under it',
            ("måste vara en tabell", 'skriv adapter = "ss12000" och dess inställningar under'),
        )
    for key in table:
        if key in _INLINE_SECRETS:
            raise ConfigError(
                where,
                f"'{key}' writes a secret into the configuration file, which is refused",
                f'name where it lives instead: {key}_env = "VARIABLE" or {key}_file = "/path/to/file"',
                (
                    f"'{key}' skriver en hemlighet i konfigurationsfilen, vilket inte tillåts",
                    f'ange var den finns i stället: {key}_env = "VARIABEL" eller {key}_file = "/sökväg/till/fil"',
                ),
            )
    kind = table.get("adapter")
    if kind not in KINDS:
        raise ConfigError(
            where,
            f"adapter = {kind!r} is not one of {', '.join(KINDS)}",
            'e.g. adapter = "ss12000"',
            (f"adapter = {kind!r} är inte något av {', '.join(KINDS)}", 'till exempel adapter = "ss12000"'),
        )
    _only(where, table, _KEYS[kind])
    fallback = table.get("fallback_after")
    after = _duration(where, "fallback_after", fallback) if fallback is not None else None
    options = {k: v for k, v in table.items() if k not in ("adapter", "fallback_after")}
    if kind == "ss12000":
        _check_ss12000(where, options)
    if kind == "pingpong_feed" and not isinstance(options.get("folder"), str):
        raise ConfigError(
            where,
            "folder is missing",
            'folder = "/var/lib/rutin/pingpong" (where the feed documents are saved)',
            ("folder saknas", 'folder = "/var/lib/rutin/pingpong" (där flödets dokument sparas)'),
        )
    return SystemConfig(name, kind, options, after)


def _check_ss12000(where: str, options: Mapping[str, Any]) -> None:
    if not isinstance(options.get("url"), str):
        raise ConfigError(
            where,
            "url is missing",
            'url = "https://ss12000.example.se/v2.0"',
            ("url saknas", 'url = "https://ss12000.example.se/v2.0"'),
        )
    if "token_env" in options and "token_file" in options:
        raise ConfigError(
            where,
            "give token_env or token_file, not both",
            "keep the one that holds the token",
            ("ange token_env eller token_file, inte båda", "behåll den som innehåller token"),
        )
    for key in ("timeout", "refresh", "overlap", "full_sync_every"):
        if key in options:
            _duration(where, key, options[key])
    if "max_response_size" in options:
        parse_size(where, "max_response_size", options["max_response_size"])
    page_size = options.get("page_size", 500)
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= 10_000:
        raise ConfigError(
            where,
            f"page_size = {page_size!r} is not a whole number from 1 to 10000",
            "leave it out (500) or write e.g. page_size = 200",
            (
                f"page_size = {page_size!r} är inget heltal från 1 till 10000",
                "utelämna den (500) eller skriv t.ex. 200",
            ),
        )
    if "verify" in options and not isinstance(options["verify"], bool):
        raise ConfigError(
            where,
            "verify must be true or false",
            "leave it out (true) unless testing",
            ("verify måste vara true eller false", "utelämna den (true) utom vid test"),
        )


def _only(where: str, table: Mapping[str, Any], allowed: set[str]) -> None:
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"allowed here: {', '.join(sorted(allowed))}"
            hint_sv = f"menade du '{close[0]}'?" if close else f"tillåtna här: {', '.join(sorted(allowed))}"
            raise ConfigError(where, f"unknown key '{key}'", hint, (f"okänd nyckel '{key}'", hint_sv))


def _duration(where: str, key: str, value: object) -> timedelta:
    try:
        return parse_duration(str(value))
    except ValueError as exc:
        raise ConfigError(
            where,
            f"{key}: {exc}",
            "e.g. 30s, 15m, 2h",
            (f"{key}: {value!r} är ingen tidslängd", "till exempel 30s, 15m, 2h"),
        ) from None


def parse_size(where: str, key: str, value: object) -> int:
    """A size in bytes from 20971520, "20 MiB", "512KiB" or "20MB" (KB, MB, GB decimal; KiB, MiB, GiB binary)."""
    match = _SIZE.fullmatch(str(value)) if isinstance(value, int | str) and not isinstance(value, bool) else None
    size = int(float(match.group(1)) * _UNITS[(match.group(2) or "b").lower()]) if match else 0
    if not MIN_RESPONSE <= size <= MAX_RESPONSE:
        raise ConfigError(
            where,
            f"{key} = {value!r} is not a size from 1 KiB to 1 GiB",
            f'e.g. {key} = "20 MiB" (bytes, or with KiB, MiB, GiB, KB, MB, GB)',
            (
                f"{key} = {value!r} är ingen storlek från 1 KiB till 1 GiB",
                f'till exempel {key} = "20 MiB" (byte, eller med KiB, MiB, GiB, KB, MB, GB)',
            ),
        )
    return size


def secret(options: Mapping[str, Any], name: str, what: str) -> Secret | None:
    """The secret `name` (token, client_key_password) from its _env or _file reference, or None when not set."""
    env, file = options.get(f"{name}_env"), options.get(f"{name}_file")
    if env is None and file is None:
        return None
    ref = SecretRef(env=str(env)) if env is not None else SecretRef(file=Path(str(file)))
    return ref.load(what)


# -- building the adapters ------------------------------------------------------------------------------


def build_from_config(
    config: AdaptersConfig, make: Mapping[str, Callable[[], SystemAdapter]], log: FallbackLog | None = None
) -> Systems:
    """The Systems the configuration describes. `make` builds the shared sandbox and manual adapters."""
    from adapters.fallback import FallbackAdapter
    from engine.systems import Systems

    overrides: dict[str, SystemAdapter] = {}
    for name, sc in config.systems.items():
        if sc.adapter in ("sandbox", "manual"):
            overrides[name] = make[sc.adapter]()
            continue
        real = build_real(sc)
        overrides[name] = FallbackAdapter(real, name, sc.fallback_after, log) if sc.fallback_after else real
    return Systems(make[config.default](), overrides)


def build_real(sc: SystemConfig) -> Ss12000Adapter | PingPongFeedAdapter:
    """The adapter of one system configured as ss12000 or pingpong_feed; secrets are read when it first asks."""
    if sc.adapter == "ss12000":
        return build_ss12000(sc)
    from adapters.pingpong_feed import PingPongFeedAdapter

    o = sc.options
    students = Path(str(o["students_file"])) if "students_file" in o else None
    return PingPongFeedAdapter(Path(str(o["folder"])), system=sc.system, students_file=students)


def build_ss12000(sc: SystemConfig) -> Ss12000Adapter:
    """The SS 12000 client of one system configured as ss12000."""
    from adapters.ss12000.adapter import Ss12000Adapter
    from adapters.ss12000.client import DEFAULT_MAX_RESPONSE, Ss12000Settings
    from adapters.ss12000.mirror import SyncPolicy

    where = f"[systems.{sc.system}]"
    o = sc.options

    def path(key: str) -> Path | None:
        return Path(str(o[key])) if key in o else None

    def settings() -> Ss12000Settings:  # read when first asked: secrets only where they are needed
        return Ss12000Settings(
            base_url=str(o["url"]),
            token=secret(o, "token", f"{where} token"),
            timeout=parse_duration(str(o.get("timeout", "10s"))).total_seconds(),
            verify=bool(o.get("verify", True)),
            ca_bundle=path("ca_bundle"),
            client_cert=path("client_cert"),
            client_key=path("client_key"),
            client_key_password=secret(o, "client_key_password", f"{where} client_key_password"),
            page_size=int(o.get("page_size", 500)),
            max_response_bytes=(
                parse_size(where, "max_response_size", o["max_response_size"])
                if "max_response_size" in o
                else DEFAULT_MAX_RESPONSE
            ),
        )

    policy = SyncPolicy(
        refresh=parse_duration(str(o.get("refresh", "1m"))),
        overlap=parse_duration(str(o.get("overlap", "5m"))),
        full_every=parse_duration(str(o.get("full_sync_every", "1d"))),
    )
    adapter = Ss12000Adapter(settings, system=sc.system, policy=policy)
    adapter.url = Ss12000Settings(str(o["url"])).shown_url
    return adapter
