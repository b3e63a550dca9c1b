"""A PostgreSQL server of our own for the Dagster instance, from Debian's ``postgresql`` binaries: its files under
one folder, on one port of 127.0.0.1, with a generated password (scram-sha-256). Used by the tests that run the
daemon on Postgres and by anyone trying the production storage on one machine. Postgres refuses to run as root,
so as root the server runs as the ``postgres`` user the package creates."""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import quote


class PostgresUnavailable(RuntimeError):
    pass


def binaries() -> Path:
    """The newest installed server's ``bin`` folder (Debian: ``/usr/lib/postgresql/<major>/bin``)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise PostgresUnavailable("no PostgreSQL server binaries (Debian: apt-get install postgresql)")


class LocalPostgres:
    def __init__(self, folder: Path, port: int, database: str = "dagster"):
        self.folder, self.port, self.database = Path(folder).resolve(), port, database
        self.bin = binaries()
        self.data = self.folder / "data"
        self._user = "postgres" if os.geteuid() == 0 else None  # initdb and postgres refuse root

    def _run(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        command = [str(a) for a in args]
        if self._user:
            command = ["runuser", "-u", self._user, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, **kwargs)

    @property
    def password_file(self) -> Path:
        return self.folder / "password"

    def dsn(self, database: str | None = None) -> str:
        """A libpq URL (psycopg2, psql) of ``database`` (default: the instance's)."""
        password = quote(self.password_file.read_text().strip(), safe="")
        return f"postgresql://postgres:{password}@127.0.0.1:{self.port}/{database or self.database}"

    @property
    def url(self) -> str:
        """The instance's ``postgres_url``, naming the driver dagster-postgres installs (SQLAlchemy's default for
        ``postgresql://`` is psycopg 3). It holds the password: pass it by environment variable, never in a file."""
        return self.dsn().replace("postgresql://", "postgresql+psycopg2://", 1)

    def start(self) -> str:
        """Make the cluster if there is none, start it, make the database; the URL."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if not (self.data / "PG_VERSION").exists():
            self.password_file.write_text(secrets.token_urlsafe(24))
            self.data.mkdir(exist_ok=True)
            if self._user:
                owner = pwd.getpwnam(self._user)
                for path in (self.folder, self.data, self.password_file):
                    os.chown(path, owner.pw_uid, owner.pw_gid)
            self.password_file.chmod(0o600)
            made = self._run(self.bin / "initdb", "-D", self.data, "-U", "postgres", "--auth=scram-sha-256",
                             f"--pwfile={self.password_file}", "--encoding=UTF8", "--no-instructions")
            if made.returncode:
                raise PostgresUnavailable(f"initdb failed: {(made.stderr.strip().splitlines() or [''])[-1]}")
        started = self._run(self.bin / "pg_ctl", "-D", self.data, "-l", self.folder / "server.log", "-w", "-t", "60",
                            "-o", f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder}", "start")
        if started.returncode:
            raise PostgresUnavailable(f"PostgreSQL did not start on port {self.port}: see {self.folder / 'server.log'}")
        self._create_database()
        return self.url

    def _create_database(self) -> None:
        import psycopg2

        deadline = time.monotonic() + 30
        while True:
            try:
                conn = psycopg2.connect(self.dsn("postgres"), connect_timeout=3)
                try:
                    conn.autocommit = True  # CREATE DATABASE runs outside a transaction
                    with conn.cursor() as cur:
                        cur.execute("select 1 from pg_database where datname = %s", (self.database,))
                        if cur.fetchone() is None:
                            cur.execute(f'create database "{self.database}"')
                finally:
                    conn.close()
                return
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise PostgresUnavailable(f"PostgreSQL on port {self.port} does not answer") from None
                time.sleep(0.5)

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
