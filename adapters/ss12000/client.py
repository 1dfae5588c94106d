"""The HTTP side of SS 12000: bearer token, TLS as deployments use it, paging, and every failure as an AdapterError.

Each list endpoint is read to its end by following `pageToken` (the spec allows only `limit` beside it), and a
read either completes or raises: a half-read list would look like removed grades. A body is read as it arrives and
given up once it passes `max_response_bytes` (decompressed bytes count), so a server that sends without end cannot
fill the worker's memory. Every failure becomes a
`RegistryError` that says in plain words what went wrong and whether asking again can help (`retryable`).
The token and the certificate password are `Secret`s: they go into the request and the TLS context and nowhere
else, and any text a server sends back is scrubbed of them before it reaches a message.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx
from pydantic import BaseModel, ValidationError

from adapters.secret import MASK, Secret
from adapters.ss12000.models import Anything, DeletedData, DeletedEntities, Page
from engine.errors import AdapterError

ErrorKind = Literal[
    "config",
    "timeout",
    "unreachable",
    "tls",
    "unauthorised",
    "forbidden",
    "not_found",
    "rate_limited",
    "server",
    "refused",
    "bad_json",
    "bad_body",
    "paging",
    "too_large",
    "unknown_student",
    "unknown_group",
    "ambiguous",
    "unsupported",
]
RETRYABLE: frozenset[ErrorKind] = frozenset({"timeout", "unreachable", "rate_limited", "server", "bad_json"})

T = TypeVar("T", bound=BaseModel)
DEFAULT_MAX_RESPONSE = 20 * 1024 * 1024  # 500 rows of the largest entity are well under 2 MiB
ERROR_BODY_BYTES = 64 * 1024  # of an error answer only its message is used: the rest is not read


def format_size(size: int) -> str:
    """20971520 -> '20 MiB', 1536 -> '1.5 KiB': sizes as the configuration writes them."""
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor:
            return f"{size / factor:.4g} {unit}"
    return f"{size} bytes"


@dataclass(frozen=True)
class _Answer:
    """One HTTP answer, its body read no further than the limit allows."""

    status: int
    content_type: str
    body: bytes


_RETRY_LATER = (
    "{where} failed with HTTP {code}{said}",
    "the worker asks again at the next check; if it lasts, ask the system's administrator",
    "{where} svarade med fel, HTTP {code}{said}",
    "workern frågar igen vid nästa kontroll; om det fortsätter, kontakta systemets förvaltare",
)
# What an HTTP status means to an administrator: (kind, message, hint, Swedish message, Swedish hint), the
# messages filled with {where}, {code} and the server's own {said}. Key 0: any other status.
STATUS_WORDS: dict[int, tuple[ErrorKind, str, str, str, str]] = {
    401: (
        "unauthorised",
        "{where} refused the token (401){said}",
        "check the token (token_env or token_file in the adapters configuration) and that it has not expired",
        "{where} godtog inte token (401){said}",
        "kontrollera token (token_env eller token_file i adapterkonfigurationen) och att den inte gått ut",
    ),
    403: (
        "forbidden",
        "{where} does not let this token read it (403){said}",
        "ask the system's administrator to grant the client read access to this endpoint",
        "{where} låter inte den här token läsa (403){said}",
        "be systemets förvaltare ge klienten läsrätt till den här delen",
    ),
    404: (
        "not_found",
        "{where} does not exist (404){said}",
        "check the base URL in the adapters configuration (it usually ends in the API version, e.g. /v2.0)",
        "{where} finns inte (404){said}",
        "kontrollera basadressen i adapterkonfigurationen (den slutar ofta med API-versionen, t.ex. /v2.0)",
    ),
    429: ("rate_limited", *_RETRY_LATER),
    500: ("server", *_RETRY_LATER),  # and 408 and every 5xx
    0: (
        "refused",
        "{where} refused the request with HTTP {code}{said}",
        "this will not pass by itself; report it to Rutin's administrator",
        "{where} avvisade frågan med HTTP {code}{said}",
        "det går inte över av sig självt; rapportera det",
    ),
}


class RegistryError(AdapterError):
    """SS 12000 did not give a usable answer. `kind` names the failure; `sv` says it in Swedish."""

    def __init__(
        self, kind: ErrorKind, message: str, hint: str, sv: tuple[str, str], *, retryable: bool | None = None
    ) -> None:
        super().__init__(message, hint, retryable=kind in RETRYABLE if retryable is None else retryable)
        self.kind = kind
        self.sv = sv


@dataclass(frozen=True)
class Ss12000Settings:
    """How to reach one SS 12000 server. Secrets are `Secret`s, so this prints safely."""

    base_url: str
    token: Secret | None = None
    timeout: float = 10.0
    verify: bool = True
    ca_bundle: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    client_key_password: Secret | None = field(default=None)
    page_size: int = 500
    max_pages: int = 10_000
    max_response_bytes: int = DEFAULT_MAX_RESPONSE  # one page's body, counted as it arrives (after decompression)

    @property
    def shown_url(self) -> str:
        """The base URL without user info or query: what a message may name."""
        parts = urlsplit(self.base_url)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def _tls_context(settings: Ss12000Settings, system: str) -> ssl.SSLContext | bool:
    if not settings.verify and settings.client_cert is None:
        return False
    try:
        context = ssl.create_default_context(cafile=str(settings.ca_bundle) if settings.ca_bundle else None)
        if not settings.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if settings.client_cert is not None:
            password = settings.client_key_password.reveal() if settings.client_key_password else None
            context.load_cert_chain(
                str(settings.client_cert), str(settings.client_key) if settings.client_key else None, password
            )
    except (OSError, ssl.SSLError, ValueError) as exc:
        files = ", ".join(str(p) for p in (settings.ca_bundle, settings.client_cert, settings.client_key) if p)
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or type(exc).__name__
        raise RegistryError(
            "tls",
            f"{system}: the TLS files ({files}) cannot be used: {reason}",
            "check ca_bundle, client_cert, client_key and the key's password in the adapters configuration",
            (
                f"{system}: TLS-filerna ({files}) går inte att använda: {reason}",
                "kontrollera ca_bundle, client_cert, client_key och nyckelns lösenord i adapterkonfigurationen",
            ),
        ) from None
    return context


class Ss12000Client:
    """Reads SS 12000 list endpoints to their end. `system` is the name administrators know (BER, ED...)."""

    def __init__(self, settings: Ss12000Settings, *, system: str, transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        self.system = system
        self._secrets = [s.reveal() for s in (settings.token, settings.client_key_password) if s is not None]
        headers = {"Accept": "application/json"}
        if settings.token is not None:
            headers["Authorization"] = f"Bearer {settings.token.reveal()}"
        parts = urlsplit(settings.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RegistryError(
                "config",
                f"{system}: '{settings.shown_url}' is not an http(s) URL",
                "give the server's base URL, e.g. https://ss12000.example.se/v2.0",
                (
                    f"{system}: '{settings.shown_url}' är ingen http(s)-adress",
                    "ange serverns basadress, t.ex. https://ss12000.example.se/v2.0",
                ),
            )
        self._http = httpx.Client(
            base_url=settings.base_url.rstrip("/") + "/",
            headers=headers,
            timeout=settings.timeout,
            verify=_tls_context(settings, system) if parts.scheme == "https" else True,
            transport=transport,
            follow_redirects=False,
            trust_env=False,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Ss12000Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Ss12000Client({self.system}, {self.settings.shown_url})"

    # -- reading ---------------------------------------------------------------------------------------

    def list_all(self, endpoint: str, model: type[T], params: Mapping[str, str] | None = None) -> list[T]:
        """Every item of a list endpoint, following pageToken to the end; raise RegistryError on any failure."""
        items: list[T] = []
        page_type = Page[model]  # type: ignore[valid-type]
        query: dict[str, str] = {**(params or {}), "limit": str(self.settings.page_size)}
        seen: set[str] = set()
        for _ in range(self.settings.max_pages):
            page = self._get(endpoint, query, page_type)
            items.extend(page.data)
            token = page.page_token
            if not token:
                return items
            if token in seen:
                raise self._paging(endpoint, "the server sent the same pageToken twice (it would never end)")
            seen.add(token)
            query = {"pageToken": token, "limit": str(self.settings.page_size)}  # the spec allows nothing else
        raise self._paging(endpoint, f"more than {self.settings.max_pages} pages")

    def deleted(self, after: datetime, entities: Sequence[str]) -> DeletedData:
        """Ids deleted after a moment, per entity type, across every page."""
        merged: dict[str, list[str]] = {name: [] for name in DeletedData.model_fields}
        query: dict[str, Any] = {
            "after": after.isoformat(),
            "entities": list(entities),
            "limit": self.settings.page_size,
        }
        seen: set[str] = set()
        for _ in range(self.settings.max_pages):
            page = self._get("deletedEntities", query, DeletedEntities)
            for name, ids in merged.items():
                ids.extend(getattr(page.data, name))
            if not page.page_token:
                return DeletedData.model_validate(merged)
            if page.page_token in seen:
                raise self._paging("deletedEntities", "the server sent the same pageToken twice")
            seen.add(page.page_token)
            query = {"pageToken": page.page_token, "limit": self.settings.page_size}
        raise self._paging("deletedEntities", f"more than {self.settings.max_pages} pages")

    def probe(self, endpoint: str) -> None:
        """One item of an endpoint: proves the server answers and this token may read it."""
        if endpoint == "deletedEntities":
            self._get(endpoint, {"after": "2000-01-01T00:00:00+00:00", "limit": "1"}, DeletedEntities)
            return
        self._get(endpoint, {"limit": "1"}, Page[Anything])

    # -- one request -----------------------------------------------------------------------------------

    def _get(self, endpoint: str, query: Mapping[str, Any], model: type[T]) -> T:
        where = self._where(endpoint)
        answer = self._fetch(endpoint, query, where)
        if answer.status != 200:
            raise self._status(where, answer)
        try:
            body = json.loads(answer.body)
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: JSON nested beyond reason
            raise RegistryError(
                "bad_json",
                f"{where} answered with something that is not JSON ({self._preview(answer)})",
                "often a proxy's error page; the worker asks again at the next check",
                (
                    f"{where} svarade med något som inte är JSON ({self._preview(answer)})",
                    "ofta en felsida från en proxy; workern frågar igen vid nästa kontroll",
                ),
            ) from None
        try:
            return model.model_validate(body)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}"
                for e in exc.errors(include_input=False, include_url=False)[:3]
            )
            raise RegistryError(
                "bad_body",
                f"{where} answered with JSON that does not follow SS 12000: {self.scrub(problems)}",
                "nothing from this answer was used; report it to the system's administrator",
                (
                    f"{where} svarade med JSON som inte följer SS 12000: {self.scrub(problems)}",
                    "inget från svaret användes; rapportera det till systemets förvaltare",
                ),
            ) from None

    def _fetch(self, endpoint: str, query: Mapping[str, Any], where: str) -> _Answer:
        """One GET, streamed: the body is read only while it stays within the limit."""
        try:
            with self._http.stream("GET", endpoint, params=dict(query)) as response:
                content_type = response.headers.get("content-type", "")
                if response.status_code != 200:
                    return _Answer(response.status_code, content_type, self._read(response, ERROR_BODY_BYTES))
                limit = self.settings.max_response_bytes
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    raise self._too_large(where, f"announces {format_size(int(declared))}")
                body = self._read(response, limit)
                if len(body) > limit:
                    raise self._too_large(where, f"sent more than {format_size(limit)}")
                return _Answer(200, content_type, body)
        except httpx.TimeoutException:
            raise RegistryError(
                "timeout",
                f"{where} did not answer within {self.settings.timeout:g} s",
                "the worker asks again at the next check; if it lasts, ask the system's administrator",
                (
                    f"{where} svarade inte inom {self.settings.timeout:g} s",
                    "workern frågar igen vid nästa kontroll; om det fortsätter, kontakta systemets förvaltare",
                ),
            ) from None
        except httpx.ConnectError as exc:
            text = self.scrub(str(exc))
            if "CERTIFICATE" in text.upper() or "SSL" in text.upper() or "TLS" in text.upper():
                raise RegistryError(
                    "tls",
                    f"{where}: the TLS handshake failed: {text}",
                    "check ca_bundle (the server's CA), verify, and the client certificate in the configuration",
                    (
                        f"{where}: TLS-handskakningen misslyckades: {text}",
                        "kontrollera ca_bundle (serverns CA), verify och klientcertifikatet i konfigurationen",
                    ),
                ) from None
            raise RegistryError(
                "unreachable",
                f"{where} cannot be reached: {text}",
                "check the URL and that the server is up; the worker asks again at the next check",
                (
                    f"{where} går inte att nå: {text}",
                    "kontrollera adressen och att servern är igång; workern frågar igen vid nästa kontroll",
                ),
            ) from None
        except httpx.HTTPError as exc:  # the connection broke mid-answer, a protocol error, a bad encoding, ...
            text = self.scrub(str(exc)) or type(exc).__name__
            raise RegistryError(
                "unreachable",
                f"{where}: the connection failed: {text}",
                "the worker asks again at the next check",
                (f"{where}: anslutningen bröts: {text}", "workern frågar igen vid nästa kontroll"),
            ) from None

    @staticmethod
    def _read(response: httpx.Response, limit: int) -> bytes:
        """The body up to one byte past `limit` (so the caller can tell it was exceeded), then no further."""
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():  # decoded: a small gzip body that inflates without end counts in full
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                break  # leaving the stream unread closes the connection: the rest is never received
        return b"".join(chunks)[: limit + 1]

    def _too_large(self, where: str, what: str) -> RegistryError:
        limit = format_size(self.settings.max_response_bytes)
        sv_what = what.replace("announces", "anger").replace("sent more than", "skickade mer än")
        return RegistryError(
            "too_large",
            f"{where} {what} in one answer, over the limit of {limit} (max_response_size)",
            "nothing from this answer was used; ask for smaller pages (page_size) or raise max_response_size in the "
            "adapters configuration, or report it to the system's administrator",
            (
                f"{where} {sv_what} i ett svar, över gränsen {limit} (max_response_size)",
                "inget från svaret användes; be om mindre sidor (page_size) eller höj max_response_size i "
                "adapterkonfigurationen, eller rapportera det till systemets förvaltare",
            ),
        )

    def _status(self, where: str, answer: _Answer) -> RegistryError:
        code = answer.status
        key = code if code in STATUS_WORDS else 500 if code == 408 or code >= 500 else 0
        kind, message, hint, sv_message, sv_hint = STATUS_WORDS[key]
        fill = {"where": where, "code": code, "said": self._server_message(answer)}
        return RegistryError(kind, message.format(**fill), hint, (sv_message.format(**fill), sv_hint))

    def _server_message(self, answer: _Answer) -> str:
        """The spec's Error body `message`, shortened and scrubbed, when the server sent one."""
        try:
            body = json.loads(answer.body)
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: JSON nested beyond reason
            return ""
        message = body.get("message") if isinstance(body, dict) else None
        return f": {self.scrub(str(message))[:200]}" if message else ""

    def _preview(self, answer: _Answer) -> str:
        kind = (answer.content_type or "no content type").split(";")[0]
        return f"{kind}, {len(answer.body)} bytes"

    def _where(self, endpoint: str) -> str:
        """How an error names the place it failed: the system, and the endpoint's URL without secrets."""
        return f"{self.system} (SS 12000, {self.settings.shown_url}/{endpoint})"

    def _paging(self, endpoint: str, problem: str) -> RegistryError:
        where = self._where(endpoint)
        return RegistryError(
            "paging",
            f"{where}: paging failed: {problem}",
            "nothing from this read was used; report it to the system's administrator",
            (f"{where}: bläddringen misslyckades: {problem}", "inget från läsningen användes; rapportera det"),
        )

    def scrub(self, text: str) -> str:
        """Any secret a server or library echoed back, replaced by ***."""
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text
