"""Setup step and ``make index``: the search index built from the catalog, rebuilt only when the
catalog or the analysis code changed (``--force`` always); a running gateway picks up the new
generation without a restart."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import List, Optional

from assistant.base.config import Settings
from assistant.ops.steps.console import say
from assistant.ops.steps.fingerprint import INDEX_INPUTS, fingerprint
from search_index.builder import build_index
from search_index.catalog import load_catalog

STAMP_FILE = "BUILT_FROM"


def ensure_index(settings: Settings, force: bool = False) -> None:
    root = settings.search_index_dir
    stamp_file = root / STAMP_FILE
    want = fingerprint(INDEX_INPUTS)
    if not force and stamp_file.exists() and stamp_file.read_text().strip() == want and (root / "CURRENT").exists():
        say("search index up to date")
        return
    started = time.perf_counter()
    entries = load_catalog()
    build_index(entries, root)
    stamp_file.write_text(want)
    say(f"search index built: {len(entries)} entries in {time.perf_counter() - started:.1f}s")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Build the search index from the catalog and swap it in.")
    parser.add_argument("--out", type=Path, default=None, help="index root (default: SEARCH_INDEX_DIR)")
    args = parser.parse_args(argv)
    if args.out is None:
        ensure_index(Settings.from_env(), force=True)
        return 0
    started = time.perf_counter()
    entries = load_catalog()
    generation = build_index(entries, args.out)
    print(f"search index: {len(entries)} entries → {generation} in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
