"""The route class of every JSON API router: one error schema in the docs, authentication before parsing.

:class:`APIRoute` does three things FastAPI's own route does not:

- Every operation declares the errors it can answer with :class:`~listingguard.errors.Error`, the body the
  error handlers in ``app.py`` really send (FastAPI would otherwise publish its ``HTTPValidationError``
  for 422 and nothing for the rest).
- The caller is authenticated (and their role checked) before the request body is read or parsed, so an
  anonymous client learns only that it needs a token (401), never what the body should look like (422).
- A JSON body is decoded and parsed by :func:`listingguard.inputs.loads` first: not UTF-8, NaN, numbers
  that overflow and nesting beyond ``MAX_JSON_DEPTH`` are 422s in the project's shape, not FastAPI's 400
  or a 500.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response, params
from fastapi import routing as fastapi_routing
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_dependant

from listingguard import inputs
from listingguard.errors import Error

STATUS_DESCRIPTIONS = {
    400: "Bad request",
    401: "No valid API token",
    403: "The token's role may not do this",
    404: "Not found",
    409: "Conflict with the current state",
    413: "Request body too large",
    422: "Invalid input; `detail` names each field",
    500: "Internal error; nothing from the request was saved",
    503: "The database is unavailable; nothing from the request was saved. Retry shortly.",
}

AUTH_CHECK_ATTRIBUTE = "listingguard_permission"
"""Set on the dependency callables of ``users.deps.require``; this class calls them before the body."""


def _auth_checks(dependant: Dependant) -> list[Callable[[Request], Coroutine[Any, Any, Any]]]:
    checks = []
    pending = list(dependant.dependencies)
    while pending:
        sub = pending.pop()
        if sub.call is not None and hasattr(sub.call, AUTH_CHECK_ATTRIBUTE):
            checks.append(sub.call)
        pending.extend(sub.dependencies)
    return checks


class APIRoute(fastapi_routing.APIRoute):
    """A FastAPI route that documents the project's error body and authenticates before parsing."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        declared: dict[int | str, dict[str, Any]] = dict(kwargs.pop("responses", None) or {})
        authenticated = bool(_auth_checks(get_dependant(path=path, call=endpoint)))
        statuses = {422, 500, 503} | ({401, 403} if authenticated else set())
        statuses |= {int(s) for s in declared if str(s).isdigit() and int(s) >= 400}
        for status in sorted(statuses):
            entry = dict(declared.pop(status, {}) or declared.pop(str(status), {}))
            entry.setdefault("model", Error)
            entry.setdefault("description", STATUS_DESCRIPTIONS.get(status, "Error"))
            declared[status] = entry
        super().__init__(path, endpoint, responses=declared, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        checks = _auth_checks(self.dependant)
        json_body = self.body_field is not None and not _is_form(self)

        async def route_handler(request: Request) -> Response:
            for check in checks:  # 401/403 before the body is read (the user is kept for the view)
                await check(request)
            if json_body:
                await _parse_json_body(request)
            return await handler(request)

        return route_handler


def _is_form(route: fastapi_routing.APIRoute) -> bool:
    field = route.body_field
    return field is not None and isinstance(getattr(field, "field_info", None), params.Form)


async def _parse_json_body(request: Request) -> None:
    """Parse the body with the project's limits and hand the result to FastAPI (which would parse it again)."""
    body = await request.body()
    if body and _declares_json(request):
        # Starlette's Request.json() returns this cached value, so FastAPI does not parse the body twice.
        request._json = inputs.parse_json_body(body)


def _declares_json(request: Request) -> bool:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return content_type == "application/json" or content_type.endswith("+json")
