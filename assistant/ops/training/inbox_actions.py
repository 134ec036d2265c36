"""Labelling and dismissing inbox items: the same steps for the trainer API and `make label`."""

from __future__ import annotations

from typing import Any, Dict, Sequence

from assistant.base.config import Settings
from assistant.base.db.engine import session_scope
from assistant.desk.inbox import get_open, item_view, resolve
from assistant.ops.training.labels import EntitySpan, add_label


def label_item(
    settings: Settings, item_id: int, intent: str, entities: Sequence[EntitySpan], by: str
) -> Dict[str, Any]:
    """Write the item's text into nlu_data/ as an example of ``intent``, then close the item."""
    with session_scope(settings.database_url) as session:
        text = get_open(session, item_id).text
    result = add_label(settings, text, intent, entities)
    with session_scope(settings.database_url, write=True) as session:
        item = resolve(
            get_open(session, item_id), "labelled", by, intent, [{"entity": s.entity, "text": s.text} for s in entities]
        )
        view = item_view(item)
    return {
        "item": view,
        "added": result.added,
        "example": result.example,
        "file": str(result.file.relative_to(settings.training_dir)),
    }


def dismiss_item(settings: Settings, item_id: int, by: str) -> Dict[str, Any]:
    with session_scope(settings.database_url, write=True) as session:
        return {"item": item_view(resolve(get_open(session, item_id), "dismissed", by))}
