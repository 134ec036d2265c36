"""Content hashes of the inputs of a build step, so unchanged inputs skip the step."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable

from assistant.base.config import REPO_ROOT


def files_under(patterns: Iterable[str], root: Path = REPO_ROOT) -> list:
    found = set()
    for pattern in patterns:
        found.update(p for p in root.glob(pattern) if p.is_file() and "__pycache__" not in p.parts)
    return sorted(found)


def fingerprint(patterns: Iterable[str], root: Path = REPO_ROOT) -> str:
    """sha256 over the relative paths and contents of every file matching ``patterns``."""
    digest = hashlib.sha256()
    for path in files_under(patterns, root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


# What a trained model depends on: change any of these and the model is retrained.
# The training data, relative to the training folder (TRAINING_DIR, the repository by default) ...
MODEL_DATA_INPUTS = ("config.yml", "domain.yml", "nlu_data/**/*.yml", "nlu_data/**/*.txt")
# ... and the custom components' code and vocabularies, relative to the repository.
MODEL_CODE_INPUTS = (
    "assistant/nlu/**/*.py",
    "assistant/base/textnorm.py",
    "assistant/base/pinyin.py",
    "assistant/base/spans.py",
    "search_index/catalog/*.yml",
)


def model_fingerprint(training_dir: Path) -> str:
    """One hash over the training data in ``training_dir`` and the component code in the repository."""
    return hashlib.sha256(
        (fingerprint(MODEL_DATA_INPUTS, training_dir) + fingerprint(MODEL_CODE_INPUTS)).encode()
    ).hexdigest()


# What the search index depends on.
INDEX_INPUTS = (
    "search_index/catalog/*.yml",
    "search_index/analysis.py",
    "search_index/builder.py",
    "search_index/semantic.py",
    "search_index/synonyms.py",
    "assistant/base/textnorm.py",
    "assistant/base/pinyin.py",
    "assistant/base/spans.py",
)
