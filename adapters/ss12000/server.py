"""A local SS 12000 server on loopback, for tests and training: synthetic Komvux data in the spec's shapes.

`RegistryWorld` holds the entities and a script of changes keyed to a clock ("the grade is removed at 10:07",
"the membership is added at 10:12"); a change is applied when a request comes in at or after its moment, and is
stamped with that moment (meta.modified, deletions), so an incremental client sees exactly what a real server
would show it at that time. The clock is injected: tests share their FixedClock with the server.
`LocalServer` serves the world over HTTP on 127.0.0.1 (list endpoints with `limit`/`pageToken`,
`meta.modified.after`, `/deletedEntities` with the spec's own spelling `activitites`), checks a bearer token,
and can be told to fail the next requests (HTTP 500, 401, a timeout, a dropped connection, HTML, JSON that is not
SS 12000, a valid page far too large: with or without Content-Length, gzip-compressed or not).
Run `python -m adapters.ss12000.server` to serve the demo data for training.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

Body = dict[str, Any]
ENTITY_ENDPOINTS = ("organisations", "persons", "duties", "groups", "activities", "grades", "syllabuses")
DELETED_NAMES = {"activities": "activitites"}  # the published spec's spelling, which clients must read
FaultKind = Literal["status", "timeout", "drop", "html", "bad_body", "bad_json", "huge"]
HUGE = -2  # respond()'s status for a "huge" fault: the handler streams the body itself (its size is in the body)
_CHUNK = 64 * 1024


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _new_id(namespace: str, name: str) -> str:
    """Stable ids: the same synthetic data gets the same ids in every run (readable test failures)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"rutin-ss12000:{namespace}:{name}"))


def luhn_personnummer(birth: str, serial: str) -> str:
    """A personnummer (12 digits) with the right check digit, from YYYYMMDD and three serial digits."""
    digits = birth[2:] + serial
    total = 0
    for i, ch in enumerate(digits):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return f"{birth}{serial}{(10 - total % 10) % 10}"


@dataclass
class _Stored:
    body: Body
    created: datetime
    modified: datetime


@dataclass(order=True)
class _Scheduled:
    at: datetime
    seq: int
    what: str = field(compare=False)
    change: Callable[[RegistryWorld, datetime], None] = field(compare=False)


class RegistryWorld:
    """The registry's content and its scripted future. Thread-safe: the server's threads share it."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.tables: dict[str, dict[str, _Stored]] = {name: {} for name in ENTITY_ENDPOINTS}
        self.deletions: list[tuple[str, str, datetime]] = []
        self.script: list[_Scheduled] = []
        self.applied: list[tuple[datetime, str]] = []
        self.lock = threading.RLock()

    # -- the script ------------------------------------------------------------------------------------

    def schedule(self, at: datetime, what: str, change: Callable[[RegistryWorld, datetime], None]) -> None:
        """Make `change` happen at `at` (it runs when the first request at or after that moment comes in)."""
        with self.lock:
            self.script.append(_Scheduled(at, len(self.script), what, change))
            self.script.sort()

    def catch_up(self) -> datetime:
        """Apply every scripted change due by now; return now."""
        with self.lock:
            now = self.clock()
            while self.script and self.script[0].at <= now:
                step = self.script.pop(0)
                step.change(self, step.at)
                self.applied.append((step.at, step.what))
            return now

    # -- entities --------------------------------------------------------------------------------------

    def put(self, endpoint: str, body: Body, at: datetime) -> str:
        with self.lock:
            table = self.tables[endpoint]
            old = table.get(body["id"])
            created = old.created if old else at
            table[body["id"]] = _Stored(body, created, at)
            return str(body["id"])

    def get(self, endpoint: str, entity_id: str) -> Body:
        with self.lock:
            return self.tables[endpoint][entity_id].body

    def delete(self, endpoint: str, entity_id: str, at: datetime) -> None:
        with self.lock:
            if self.tables[endpoint].pop(entity_id, None) is not None:
                self.deletions.append((endpoint, entity_id, at))

    def render(self, endpoint: str, stored: _Stored) -> Body:
        return {**stored.body, "meta": {"created": _stamp(stored.created), "modified": _stamp(stored.modified)}}

    # -- Komvux vocabulary -----------------------------------------------------------------------------

    def add_school(self, name: str, at: datetime) -> str:
        body = {
            "id": _new_id("org", name),
            "displayName": name,
            "organisationType": "Skolenhet",
            "schoolTypes": ["VUX"],
        }
        return self.put("organisations", body, at)

    def add_person(self, civic: str, given: str, family: str, at: datetime) -> str:
        body = {
            "id": _new_id("person", civic),
            "givenName": given,
            "familyName": family,
            "civicNo": {"value": civic, "nationality": "SE"},
        }
        return self.put("persons", body, at)

    def add_teacher(self, civic: str, given: str, family: str, school: str, at: datetime) -> str:
        """A person and their Duty (lärare) at the school; returns the duty's id, which activities refer to."""
        person = self.add_person(civic, given, family, at)
        duty = {
            "id": _new_id("duty", civic),
            "person": {"id": person},
            "dutyAt": {"id": school},
            "dutyRole": "Lärare",
            "startDate": "2024-01-01",
        }
        return self.put("duties", duty, at)

    def add_syllabus(self, code: str, name: str, subject: str, points: int, at: datetime) -> str:
        body = {
            "id": _new_id("syllabus", code),
            "schoolType": "VUXGY",
            "subjectName": subject,
            "courseCode": code,
            "courseName": name,
            "points": points,
            "official": True,
        }
        return self.put("syllabuses", body, at)

    def add_group(self, name: str, school: str, start: date, end: date | None, at: datetime) -> str:
        body: Body = {
            "id": _new_id("group", name),
            "displayName": name,
            "groupType": "Undervisning",
            "schoolType": "VUXGY",
            "startDate": start.isoformat(),
            "organisation": {"id": school},
            "groupMemberships": [],
        }
        if end is not None:
            body["endDate"] = end.isoformat()
        return self.put("groups", body, at)

    def add_membership(self, group: str, person: str, start: date, end: date | None, at: datetime) -> None:
        with self.lock:
            body = dict(self.get("groups", group))
            membership: Body = {"person": {"id": person}, "startDate": start.isoformat()}
            if end is not None:
                membership["endDate"] = end.isoformat()
            body["groupMemberships"] = [*body["groupMemberships"], membership]
            self.put("groups", body, at)

    def remove_membership(self, group: str, person: str, at: datetime) -> None:
        with self.lock:
            body = dict(self.get("groups", group))
            body["groupMemberships"] = [m for m in body["groupMemberships"] if m["person"]["id"] != person]
            self.put("groups", body, at)

    def add_activity(
        self, group: str, syllabus: str, school: str, graders: list[str], start: date, at: datetime
    ) -> str:
        name = self.get("groups", group)["displayName"]
        body = {
            "id": _new_id("activity", name),
            "displayName": name,
            "calendarEventsRequired": False,
            "startDate": start.isoformat(),
            "activityType": "Undervisning",
            "groups": [{"id": group}],
            "teachers": [{"duty": {"id": duty}, "grader": True} for duty in graders],
            "syllabus": {"id": syllabus},
            "organisation": {"id": school},
        }
        return self.put("activities", body, at)

    def set_graders(self, activity: str, graders: list[str], at: datetime) -> None:
        with self.lock:
            body = dict(self.get("activities", activity))
            body["teachers"] = [{"duty": {"id": duty}, "grader": True} for duty in graders]
            self.put("activities", body, at)

    def add_grade(
        self, student: str, group: str, syllabus: str, school: str, value: str, registered_by: str, at: datetime
    ) -> str:
        body = {
            "id": _new_id("grade", f"{student}:{group}:{syllabus}"),
            "student": {"id": student},
            "organisation": {"id": school},  # the spec's `required` says schoolUnit; the property is organisation
            "registeredBy": {"id": registered_by},
            "group": {"id": group},
            "registeredDate": at.date().isoformat(),
            "gradeValue": value,
            "finalGrade": True,
            "trial": False,
            "adaptedStudyPlan": "",
            "syllabus": {"id": syllabus},
        }
        return self.put("grades", body, at)

    # -- reading, as the endpoints do ------------------------------------------------------------------

    def listing(self, endpoint: str, modified_after: datetime | None) -> list[Body]:
        with self.lock:
            rows = sorted(self.tables[endpoint].values(), key=lambda s: (_stamp(s.created), s.body["id"]))
            return [self.render(endpoint, s) for s in rows if modified_after is None or s.modified > modified_after]

    def deleted_after(self, after: datetime, entities: list[str]) -> list[tuple[str, str]]:
        with self.lock:
            return [(e, i) for e, i, at in self.deletions if at > after and (not entities or e in entities)]


@dataclass(frozen=True)
class Demo:
    """The ids of the synthetic Komvux data `komvux_world` builds, for scripting changes."""

    school: str
    student: str
    student_civic: str
    other_students: tuple[str, ...]
    teacher_duty: str
    groups: dict[str, str]
    activities: dict[str, str]
    syllabuses: dict[str, str]
    grade: str


def komvux_world(clock: Callable[[], datetime], *, at: datetime | None = None) -> tuple[RegistryWorld, Demo]:
    """A Komvux school unit with three groups (Matematik 1a, 1b, 2a, autumn 2024), students, a grading teacher,
    and the grade the grade-revocation routine removes: 19121212-1212's grade on MA1A-HT24."""
    world = RegistryWorld(clock)
    t = at or clock()
    school = world.add_school("Komvux Centrum (fiktiv)", t)
    student_civic = "191212121212"  # Skatteverket's well-known test personnummer
    student = world.add_person(student_civic, "Tolvan", "Tolvansson", t)
    others = tuple(
        world.add_person(luhn_personnummer(f"1990{month:02d}15", f"{serial:03d}"), f"Elev{serial}", "Testsson", t)
        for month, serial in ((1, 123), (2, 234), (3, 345))
    )
    teacher = world.add_teacher(luhn_personnummer("19700101", "987"), "Karin", "Lind", school, t)
    registrar = world.add_person(luhn_personnummer("19800101", "876"), "Anna", "Berg", t)
    syllabuses = {
        "MATMAT01a": world.add_syllabus("MATMAT01a", "Matematik 1a", "Matematik", 100, t),
        "MATMAT01b": world.add_syllabus("MATMAT01b", "Matematik 1b", "Matematik", 100, t),
        "MATMAT02a": world.add_syllabus("MATMAT02a", "Matematik 2a", "Matematik", 100, t),
    }
    start, end = date(2024, 5, 20), date(2024, 12, 20)
    groups = {
        "MA1A-HT24": world.add_group("MA1A-HT24", school, start, end, t),
        "MA1B-HT24": world.add_group("MA1B-HT24", school, start, end, t),
        "MA2A-HT24": world.add_group("MA2A-HT24", school, start, end, t),
    }
    courses = {"MA1A-HT24": "MATMAT01a", "MA1B-HT24": "MATMAT01b", "MA2A-HT24": "MATMAT02a"}
    activities = {
        name: world.add_activity(group, syllabuses[courses[name]], school, [teacher], start, t)
        for name, group in groups.items()
    }
    world.add_membership(groups["MA1A-HT24"], student, start, None, t)
    for other in others:
        world.add_membership(groups["MA1A-HT24"], other, start, None, t)
        world.add_membership(groups["MA1B-HT24"], other, start, None, t)
    grade = world.add_grade(student, groups["MA1A-HT24"], syllabuses["MATMAT01a"], school, "C", registrar, t)
    return world, Demo(school, student, student_civic, others, teacher, groups, activities, syllabuses, grade)


# -- the HTTP side --------------------------------------------------------------------------------------


@dataclass
class Fault:
    kind: FaultKind
    status: int = 500
    endpoint: str | None = None  # None: any endpoint
    times: int = 1
    size: int = 0  # "huge": bytes of the (decompressed) body
    chunked: bool = False  # "huge": no Content-Length, chunked transfer encoding
    gzip: bool = False  # "huge": Content-Encoding gzip (a small body on the wire that inflates to `size`)


class LocalServer:
    """Serves a RegistryWorld on 127.0.0.1 in a background thread. Use as a context manager."""

    def __init__(self, world: RegistryWorld, *, token: str | None = None, hang_seconds: float = 1.0) -> None:
        self.world = world
        self.token = token
        self.hang_seconds = hang_seconds  # how long a "timeout" fault keeps the client waiting
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, dict[str, list[str]]]] = []
        self.huge_sent: list[tuple[int, bool]] = []  # per "huge" answer: bytes written, and whether all were
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v2.0"

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def fail_next(
        self,
        kind: FaultKind,
        *,
        status: int = 500,
        endpoint: str | None = None,
        times: int = 1,
        size: int = 0,
        chunked: bool = False,
        gzip: bool = False,
    ) -> None:
        self.faults.append(Fault(kind, status, endpoint, times, size, chunked, gzip))

    def _take_fault(self, endpoint: str) -> Fault | None:
        with self.world.lock:
            for fault in self.faults:
                if fault.endpoint in (None, endpoint):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def respond(self, path: str, query: dict[str, list[str]], authorization: str | None) -> tuple[int, str, bytes]:
        """(status, content type, body) for one GET; every branch is an answer the spec describes."""
        endpoint = path.removeprefix("/v2.0/").strip("/")
        self.requests.append((endpoint, query))
        if self.token is not None and authorization != f"Bearer {self.token}":
            return _error(401, "unauthorized", "Bearer token saknas eller är ogiltig")
        fault = self._take_fault(endpoint)
        if fault is not None:
            answer = self._fault(fault)
            if answer is not None:
                return answer
        self.world.catch_up()
        if endpoint == "deletedEntities":
            return self._deleted(query)
        if endpoint not in ENTITY_ENDPOINTS:
            return 404, "application/json", b""
        return self._list(endpoint, query)

    def _fault(self, fault: Fault) -> tuple[int, str, bytes] | None:
        if fault.kind == "status":
            return _error(fault.status, f"e{fault.status}", "Tillfälligt fel (planterat)")
        if fault.kind == "timeout":
            time.sleep(self.hang_seconds)
            return None  # answer properly, too late for a client with a shorter timeout
        if fault.kind == "html":
            return 502, "text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>"
        if fault.kind == "bad_json":
            return 200, "application/json", b'{"data": [{"id": '
        if fault.kind == "bad_body":
            return 200, "application/json", json.dumps({"data": [{"id": 7, "displayName": None}]}).encode()
        if fault.kind == "huge":
            plan = {"size": fault.size, "chunked": fault.chunked, "gzip": fault.gzip}
            return HUGE, "application/json", json.dumps(plan).encode()
        return -1, "", b""  # drop: the handler closes the connection without an answer

    def _list(self, endpoint: str, query: dict[str, list[str]]) -> tuple[int, str, bytes]:
        """Keyset paging: the token holds the filter and the last row's key, so a change between pages moves
        no row across a page boundary (an offset would skip one)."""
        limit = _int(query.get("limit", ["1000"])[0])
        if limit < 1:
            return _error(400, "limit", "limit måste vara ett heltal, minst 1")
        token = query.get("pageToken", [None])[0]
        if token is not None:
            if set(query) - {"pageToken", "limit"}:
                return _error(400, "pageToken", "pageToken kan inte kombineras med andra filter")
            try:
                state = json.loads(base64.urlsafe_b64decode(token.encode()))
                after, last = state["a"], (str(state["c"]), str(state["i"]))
            except (ValueError, KeyError, TypeError):
                return _error(400, "pageToken", "okänt pageToken")
        else:
            after, last = query.get("meta.modified.after", [None])[0], None
        try:
            modified_after = datetime.fromisoformat(after) if after else None
        except ValueError:
            return _error(400, "meta.modified.after", "ogiltig tidpunkt (RFC 3339)")
        rows = [
            r
            for r in self.world.listing(endpoint, modified_after)
            if last is None or (r["meta"]["created"], r["id"]) > last
        ]
        page = rows[:limit]
        next_token = None
        if len(rows) > limit:
            key = {"a": after, "c": page[-1]["meta"]["created"], "i": page[-1]["id"]}
            next_token = base64.urlsafe_b64encode(json.dumps(key).encode()).decode()
        return 200, "application/json", json.dumps({"data": page, "pageToken": next_token}).encode()

    def _deleted(self, query: dict[str, list[str]]) -> tuple[int, str, bytes]:
        token = query.get("pageToken", [None])[0]
        try:
            after = datetime.fromisoformat(
                json.loads(base64.urlsafe_b64decode(token.encode()))["a"] if token else query["after"][0]
            )
        except (ValueError, KeyError, TypeError):
            return _error(400, "after", "after saknas eller är ogiltig (RFC 3339)")
        entities = query.get("entities", [])
        data: dict[str, list[str]] = {}
        for endpoint, entity_id in self.world.deleted_after(after, entities):
            data.setdefault(DELETED_NAMES.get(endpoint, endpoint), []).append(entity_id)
        return 200, "application/json", json.dumps({"data": data, "pageToken": None}).encode()


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return -1


def _error(status: int, code: str, message: str) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps({"code": code, "message": message}).encode()


def _handler(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            status, kind, body = server.respond(parts.path, parse_qs(parts.query), self.headers.get("Authorization"))
            if status == HUGE:
                self.close_connection = True
                server.huge_sent.append(_send_huge(self, json.loads(body)))
                return
            if status < 0:
                self.close_connection = True
                self.connection.shutdown(2)  # the connection drops mid-request
                return
            self.send_response(status)
            if kind:
                self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: tests and training read the world, not an access log

    return Handler


def _huge_body(size: int) -> Iterator[bytes]:
    """A valid, empty SS 12000 page padded with one long string to `size` bytes, made piece by piece."""
    head, tail = b'{"data": [], "pageToken": null, "padding": "', b'"}'
    yield head
    left = max(size - len(head) - len(tail), 0)
    while left > 0:
        yield b"x" * min(left, _CHUNK)
        left -= _CHUNK
    yield tail


def _send_huge(handler: BaseHTTPRequestHandler, plan: dict[str, Any]) -> tuple[int, bool]:
    """Send the oversized page; (bytes written, True when the client read it all rather than hanging up)."""
    size = int(plan["size"])
    pieces: Iterable[bytes] = _huge_body(size)
    total = size
    if plan["gzip"]:
        packer = zlib.compressobj(wbits=31)  # 31: the gzip container
        packed = b"".join(packer.compress(p) for p in _huge_body(size)) + packer.flush()
        pieces, total = [packed], len(packed)
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    if plan["gzip"]:
        handler.send_header("Content-Encoding", "gzip")
    if plan["chunked"]:
        handler.send_header("Transfer-Encoding", "chunked")
    else:
        handler.send_header("Content-Length", str(total))
    handler.end_headers()
    written = 0
    try:
        for piece in pieces:
            for start in range(0, len(piece), _CHUNK):
                part = piece[start : start + _CHUNK]
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(part), part) if plan["chunked"] else part)
                written += len(part)
        if plan["chunked"]:
            handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()
    except OSError:  # the client hung up, as it should once the limit is passed
        return written, False
    return written, True


def main() -> None:  # pragma: no cover - a convenience for training
    """Serve the demo data on 127.0.0.1 (real time); the grade on MA1A-HT24 disappears 7 minutes after start."""
    import os

    from adapters.clock import SystemClock

    clock = SystemClock()
    world, demo = komvux_world(clock.now)
    world.schedule(
        clock.now() + timedelta(minutes=7),
        "grade removed",
        lambda w, at: w.delete("grades", demo.grade, at),
    )
    token = os.environ.get("RUTIN_SS12000_TOKEN")
    with LocalServer(world, token=token) as server:
        print(f"SS 12000 (demo data) at {server.url}; token {'required' if token else 'not required'}; Ctrl-C stops")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
