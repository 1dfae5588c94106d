"""`rutin web --demo` in a subprocess on a free loopback port, on its own SQLite file, the sandbox and a clock file.

The end-to-end tests and `scripts/screenshots` both use it. `--demo` saves the demo users with their password
(and three demo cases) in the server's own process, which is seconds faster than a `rutin users add` per person.
Time moves only when the clock file is written; the worker's sweep is `rutin worker --once` at the same
moment, as a separate process, the way a real worker runs beside the web app.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

BIN = Path(sys.executable).parent
START = datetime.fromisoformat("2024-06-03T10:00")  # Swedish local time, a Monday morning (as the clock file says)


@dataclass(frozen=True)
class Person:
    name: str
    password: str
    display: str


def _demo(name: str) -> Person:
    from web.demo import DEMO_PASSWORD, DEMO_USERS

    user = next(u for u in DEMO_USERS if u.name == name)
    return Person(user.name, DEMO_PASSWORD, user.display)


ADMIN = _demo("anna")  # administrator and grade administrator (Betygsadministratör)
AUDITOR = _demo("olof")  # Granskare: reads every case and its audit, acts on none
NO_ROLE = _demo("erik")  # no role, no task


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RUTIN_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


@dataclass
class WebServer:
    folder: Path
    now: datetime = START
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def db(self) -> Path:
        return self.folder / "rutin.db"

    @property
    def clock_file(self) -> Path:
        return self.folder / "clock.txt"

    @property
    def log(self) -> Path:
        return self.folder / "web.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rutin(self, *args: str) -> str:
        """Run the CLI on this server's database at the clock file's time; the output, or an error with it."""
        command = [
            str(BIN / "rutin"),
            "--db",
            str(self.db),
            "--adapters",
            "sandbox",
            "--now",
            self.now.isoformat(),
            *args,
        ]
        done = subprocess.run(
            command, check=False, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=_env(), timeout=60
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def set_clock(self, moment: datetime) -> None:
        """Move the web app's clock (and the CLI's, for the sweep) to `moment`, Swedish time when naive."""
        self.now = moment
        self.clock_file.write_text(moment.isoformat(), encoding="utf-8")

    def advance(self, minutes: float) -> None:
        self.set_clock(self.now + timedelta(minutes=minutes))

    def sweep(self) -> str:
        """The worker's sweep once, at the clock's time: waits checked with the sandbox, timers fired."""
        return self.rutin("worker", "--once")

    def start(self, timeout: float = 30.0) -> None:
        self.set_clock(self.now)
        command = [
            str(BIN / "rutin"),
            "--db",
            str(self.db),
            "--adapters",
            "sandbox",
            "web",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--clock-file",
            str(self.clock_file),
            "--demo",
            "--no-worker",  # the tests sweep when they choose to, with `rutin worker --once`
        ]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=_env()
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"rutin web exited with {self.process.returncode}:\n{self.log_text()}")
            if self._answers():
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"rutin web did not answer within {timeout:.0f} s:\n{self.log_text()}")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/login", timeout=2) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
