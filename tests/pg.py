"""A throwaway PostgreSQL server for the tests: started once per session, one fresh database per test.

The server is the Debian package's own binaries (initdb, pg_ctl), run in a temporary folder, listening
only on 127.0.0.1 at a free port and on a socket in that folder, with fsync off and trust authentication.
PostgreSQL refuses to run as root, so as root it runs as the `postgres` system user (or a system user
made for it). Where it cannot be started the tests that need it are skipped, saying why.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SUPERUSER = "rutin"
FALLBACK_OS_USER = "rutinpg"
START_TIMEOUT_S = 30
INSTALL_HINT = "install the Debian package postgresql (./.ci/run does)"


class PostgresUnavailable(Exception):
    """The server could not be started; the message says why."""


def find_bin_dir() -> Path:
    """The folder holding initdb, pg_ctl and postgres: from PATH, else the newest Debian install."""
    on_path = shutil.which("initdb")
    candidates = [Path(on_path).resolve().parent] if on_path else []
    installed = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted((Path(p) for p in installed), key=lambda p: _major(p.parent.name), reverse=True)
    for folder in candidates:
        if all((folder / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return folder
    raise PostgresUnavailable("no initdb/pg_ctl/postgres on PATH or under /usr/lib/postgresql/*/bin")


def _major(name: str) -> int:
    return int(name) if name.isdigit() else 0


def os_user() -> str | None:
    """Who runs the server: None for the current user, or a system user when we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", FALLBACK_OS_USER):
        if _user_exists(name):
            return name
    made = subprocess.run(
        ["useradd", "--system", "--no-create-home", FALLBACK_OS_USER], capture_output=True, text=True, check=False
    )
    if made.returncode != 0 or not _user_exists(FALLBACK_OS_USER):
        raise PostgresUnavailable(f"running as root and no 'postgres' user; useradd failed: {made.stderr.strip()}")
    return FALLBACK_OS_USER


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    bin_dir: Path
    root: Path
    user: str | None
    port: int = 0
    _names: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        if self.user is not None:
            account = pwd.getpwnam(self.user)
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--no-locale")
        for _ in range(3):  # another process may take the free port between our probe and the server's bind
            self.port = free_port()
            options = (
                f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.root} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50"
            )
            started = self._run(
                "pg_ctl", "start", "-w", "-t", str(START_TIMEOUT_S), "-D", str(self.data), "-l", str(self.log),
                "-o", options, check=False,
            )  # fmt: skip
            if started.returncode == 0:
                return
        raise PostgresUnavailable(f"pg_ctl start failed: {self._log_tail()}")

    def stop(self) -> None:
        if self.data.is_dir():
            self._run("pg_ctl", "stop", "-m", "immediate", "-D", str(self.data), check=False)

    def create_database(self) -> str:
        """A new empty database; its URL."""
        name = f"rutin_{next(self._names)}"
        self.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[-1]}" WITH (FORCE)')

    def execute(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres") as conn:
            conn.autocommit = True
            conn.execute(statement.encode())

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / tool), *args]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=self.root, timeout=120)
        if check and done.returncode != 0:
            raise PostgresUnavailable(f"{tool} failed: {(done.stderr or done.stdout).strip()[-500:]}")
        return done

    def _log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace").strip()[-500:]
        except OSError:
            return "no server log"


def start_server() -> PostgresServer:
    """Start a server in a new temporary folder, or raise PostgresUnavailable (having cleaned up)."""
    try:
        import psycopg  # noqa: F401  (the driver SQLAlchemy will use)
    except ImportError as exc:
        raise PostgresUnavailable("the psycopg driver is not installed (pip install -e '.[dev]')") from exc
    bin_dir = find_bin_dir()
    user = os_user()
    # directly under the system temp folder: pytest's own tmp folders are private to root
    server = PostgresServer(bin_dir, Path(tempfile.mkdtemp(prefix="rutin-pg-")), user)
    try:
        server.start()
    except BaseException:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)
        raise
    return server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        server = start_server()
    except (PostgresUnavailable, OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"PostgreSQL could not be started: {exc}; {INSTALL_HINT}")
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of an empty database of its own, dropped after the test."""
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)
