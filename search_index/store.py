"""Index generations on disk: build a new one beside the live one, then swap a pointer.

Layout: ``<root>/gen-<stamp>/`` holds one complete Whoosh index; ``<root>/CURRENT``
names the live generation and is replaced atomically (``os.replace``), so a
reader sees either the old or the new index, never a half-built one.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Optional

POINTER = "CURRENT"
KEEP_GENERATIONS = 2  # the live one and the one before it (a reader may still hold it open)


def current_generation(root: Path) -> Optional[Path]:
    try:
        name = (root / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    path = root / name
    return path if name and path.is_dir() else None


def new_generation_dir(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"gen-{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 1_000_000:06d}"
    path.mkdir()
    return path


def publish(root: Path, generation: Path) -> None:
    """Make ``generation`` the live index in one atomic step, then prune old ones."""
    tmp = root / f".{POINTER}.{os.getpid()}"
    tmp.write_text(generation.name, encoding="utf-8")
    os.replace(tmp, root / POINTER)
    generations = sorted((p for p in root.glob("gen-*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in generations[:-KEEP_GENERATIONS]:
        if old != generation:
            shutil.rmtree(old, ignore_errors=True)
