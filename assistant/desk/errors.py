"""Errors of the service desk, with the HTTP status the gateway answers them with."""

from __future__ import annotations


class DeskError(Exception):
    """A request the desk refuses; ``message`` is shown to the person who asked (Chinese)."""

    status = 400

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class NotFound(DeskError):
    status = 404


class Conflict(DeskError):
    status = 409
