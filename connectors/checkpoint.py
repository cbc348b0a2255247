"""Checkpoints: where each source's reading stopped (cursor, watermark, ETag, file hashes, seen ids).

One JSON file per source under a state folder, written atomically (temporary file, fsync, rename), so a crash
leaves either the old or the new checkpoint, never half of one. The loop saves a checkpoint only after the
broker acknowledged every observation read up to it.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

Checkpoint = dict[str, Any]


class CheckpointStore:
    """Reads and writes ``<folder>/<source>.json``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, source: str) -> Path:
        """The file of one source's checkpoint."""
        return self.folder / f"{source}.json"

    def load(self, source: str) -> Checkpoint:
        """The saved checkpoint, or an empty one for a source never read."""
        path = self.path(source)
        if not path.exists():
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"{path}: a checkpoint must be a JSON object")
        return data

    def save(self, source: str, checkpoint: Checkpoint) -> None:
        """Replace the checkpoint atomically."""
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.path(source)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{source}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(checkpoint, handle, ensure_ascii=False, sort_keys=True, default=str)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
