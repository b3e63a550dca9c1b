"""The passages the API searches, held in memory and swapped for the newest Delta version by a thread of their
own: a query never waits for a read of the table (``podcast-assets search`` reads it on every call), and a new
version is picked up within ``refresh_seconds`` of its commit with nobody restarting anything."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from podcast_assets.resources.delta import DeltaTables
from podcast_assets.search.answers import COLUMNS, Held, hold
from podcast_assets.search.keyword_store import load_current


class PassageHolder:
    def __init__(self, delta: DeltaTables, keywords_dir: str, model: str, refresh_seconds: float = 5.0,
                 log: Callable[[str], None] = print):
        self.delta, self.keywords_dir, self.model = delta, keywords_dir, model
        self.refresh_seconds, self.log = refresh_seconds, log
        self._held: Held | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error = ""

    @property
    def held(self) -> Held | None:
        return self._held  # one reference, swapped whole: a reader sees one version or the next

    def refresh(self) -> bool:
        """Read the table if its version is not the one held; True when a new version was taken."""
        table = self.delta.table("transcript_passages")
        if table is None or (self._held is not None and self._held.version == table.version()):
            return False
        started, version = time.perf_counter(), table.version()
        table = table.to_pyarrow_table(columns=COLUMNS, filters=[("model", "=", self.model)])  # that version's
        saved = load_current(self.keywords_dir, version, self.model, table)
        self._held = hold(table, version, self.model, saved, self.delta.shows())
        self.log(f"passages version {version}: {table.num_rows} passages of {len(self._held.episodes)} episodes "
                 f"held (keyword index {self._held.keyword_index}) in {time.perf_counter() - started:.1f} s")
        return True

    def _watch(self) -> None:
        while not self._stop.wait(self.refresh_seconds):
            try:
                self.refresh()
                self.last_error = ""
            except Exception as exc:  # a table mid-vacuum or a disk hiccup: keep serving what is held
                message = f"passages not refreshed: {type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:200]}"
                if message != self.last_error:
                    self.log(message)
                self.last_error = message

    def start(self) -> None:
        self._thread = threading.Thread(target=self._watch, name="passage-holder", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
