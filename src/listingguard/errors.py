"""Domain errors. Services raise these; the HTTP layer and the CLI render them for people.

Every error carries a message that says what went wrong and, where possible, what to do about it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class LGError(Exception):
    """Base class: a message for a person and the HTTP status it maps to."""

    status_code = 400

    def __init__(self, message: str, *, detail: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail or []


class NotFound(LGError):
    """The thing asked for does not exist."""

    status_code = 404


class Conflict(LGError):
    """A duplicate or an illegal state transition."""

    status_code = 409


class Invalid(LGError):
    """Input that breaks a rule; ``detail`` lists ``{"loc": [...], "msg": ...}`` items."""

    status_code = 422


class Forbidden(LGError):
    """The caller's role does not allow this."""

    status_code = 403


class Unauthorized(LGError):
    """No valid credentials."""

    status_code = 401


class TooLarge(LGError):
    """A request or file beyond the configured limits."""

    status_code = 413


class Unavailable(LGError):
    """A dependency (usually the database) cannot be reached; retrying later may work."""

    status_code = 503


class ModelError(LGError):
    """A model directory that cannot be used (missing, corrupt, or from another version)."""

    status_code = 500


class ErrorDetail(BaseModel):
    """One problem: where (``loc``, e.g. ``["body", 3, "price"]`` or ``["query", "limit"]``) and what."""

    model_config = ConfigDict(extra="allow")  # malformed JSON adds "line" and "column"

    loc: list[str | int]
    msg: str


class Error(BaseModel):
    """The one error body of the API, for every 4xx and 5xx: a sentence for a person, and the details."""

    error: str
    detail: list[ErrorDetail] = []
