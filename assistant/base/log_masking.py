"""Log lines never hold a card number, phone number or verification code.

``install()`` masks every record of the process with the one masker (``assistant.base.masking``):
the formatted message, a traceback's text, the stack info and any string passed as ``extra``.
It does so in two places, so that no path is missed:

* a ``MaskingFilter`` on every handler that exists when it is called (the root logger's, and
  those Rasa, rasa_sdk and Sanic configured on their own loggers, which may not propagate);
* the log record factory, so that records reaching handlers configured *later* (Sanic sets its
  loggers up when the app is built, Rasa's CLI when it starts) are masked as well — their message,
  traceback and stack; ``extra`` fields are set after the factory runs, so only the filters of
  handlers present at ``install()`` mask those (nothing in this project logs customer text in extras).

Call it once logging is configured, as early as possible in every entry point of the stack.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from assistant.base.masking import mask_sensitive

_STANDARD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_MASKED = "_pii_masked"


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask the record in place: afterwards ``getMessage()`` returns the masked text."""
    if not getattr(record, _MASKED, False):
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string: logging would echo msg and args as they are
            message = f"{record.msg} {record.args!r}"
        record.msg, record.args = mask_sensitive(str(message)), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_sensitive(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_sensitive(record.stack_info)
        setattr(record, _MASKED, True)
    # ``extra`` fields are set after the record factory ran: masked (again, cheaply) every time.
    for key, value in list(vars(record).items()):
        if key not in _STANDARD_ATTRIBUTES and isinstance(value, str):
            setattr(record, key, mask_sensitive(value))
    return record


class MaskingFilter(logging.Filter):
    """Masks each record that reaches the handler it is attached to; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


def _masking_factory(previous: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return mask_record(previous(*args, **kwargs))

    factory.masks_pii = True  # type: ignore[attr-defined]
    return factory


def _all_handlers() -> list[logging.Handler]:
    loggers = [logging.getLogger()] + [
        lg for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    return [h for lg in loggers for h in lg.handlers]


def install() -> None:
    """Mask every log record of this process from now on (safe to call more than once)."""
    if not getattr(logging.getLogRecordFactory(), "masks_pii", False):
        logging.setLogRecordFactory(_masking_factory(logging.getLogRecordFactory()))
    for handler in _all_handlers():
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())
