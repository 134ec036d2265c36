"""The search catalog: YAML files in search_index/catalog/, validated on load."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import yaml

CATALOG_DIR = Path(__file__).resolve().parent / "catalog"
ENTRY_TYPES = ("function", "product", "life", "faq")
CHANNELS = ("首页", "财富", "生活", "信用卡", "我的")


class CatalogError(ValueError):
    """A catalog file does not describe valid entries."""


@dataclass(frozen=True)
class Entry:
    id: str
    type: str
    title: str
    channel: str
    deeplink: str
    popularity: float = 0.0
    aliases: Sequence[str] = ()
    keywords: Sequence[str] = ()
    subtitle: str = ""
    answer: str = ""
    attributes: Dict[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> List[str]:
        """Title first, then aliases: every name a customer may call the entry by."""
        return [self.title, *self.aliases]


def _entry(raw: Dict[str, Any], source: str) -> Entry:
    missing = [k for k in ("id", "type", "title", "channel", "deeplink") if not raw.get(k)]
    if missing:
        raise CatalogError(f"{source}: entry {raw.get('id', '?')} lacks {', '.join(missing)}")
    if raw["type"] not in ENTRY_TYPES:
        raise CatalogError(f"{source}: entry {raw['id']} has unknown type {raw['type']!r}")
    if raw["channel"] not in CHANNELS:
        raise CatalogError(f"{source}: entry {raw['id']} has unknown channel {raw['channel']!r}")
    if not str(raw["deeplink"]).startswith("app://"):
        raise CatalogError(f"{source}: entry {raw['id']} deeplink must start with app://")
    if raw["type"] == "faq" and not raw.get("answer"):
        raise CatalogError(f"{source}: faq {raw['id']} has no answer")
    return Entry(
        id=str(raw["id"]),
        type=raw["type"],
        title=str(raw["title"]),
        channel=raw["channel"],
        deeplink=str(raw["deeplink"]),
        popularity=float(raw.get("popularity", 0)),
        aliases=tuple(str(a) for a in raw.get("aliases") or ()),
        keywords=tuple(str(k) for k in raw.get("keywords") or ()),
        subtitle=str(raw.get("subtitle") or ""),
        answer=str(raw.get("answer") or ""),
        attributes=dict(raw.get("attributes") or {}),
    )


def load_catalog(directory: Optional[Path] = None) -> List[Entry]:
    """All entries of all catalog files; ids must be unique across files."""
    directory = directory or CATALOG_DIR
    entries: List[Entry] = []
    seen: Dict[str, str] = {}
    for path in sorted(directory.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for raw in data.get("entries") or ():
            entry = _entry(raw, path.name)
            if entry.id in seen:
                raise CatalogError(f"{path.name}: duplicate id {entry.id} (also in {seen[entry.id]})")
            seen[entry.id] = path.name
            entries.append(entry)
    if not entries:
        raise CatalogError(f"no catalog entries under {directory}")
    return entries
