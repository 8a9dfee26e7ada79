"""HTTP routes for listings: submit (one or a batch) and look up."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from listingguard import inputs
from listingguard.deps import AppSettings, DbSession
from listingguard.errors import Invalid, TooLarge
from listingguard.listings import service
from listingguard.listings.io import check_topics, validation_errors
from listingguard.listings.schemas import ListingIn, ListingResult, ListingResults, ListingWithAction
from listingguard.routing import APIRoute
from listingguard.screening import service as screening_service
from listingguard.screening.deps import CurrentScreener
from listingguard.state import app_state
from listingguard.users.deps import require
from listingguard.users.models import User

router = APIRouter(prefix="/v1/listings", tags=["listings"], route_class=APIRoute)

Writer = Annotated[User, Depends(require("listings:write"))]
Reader = Annotated[User, Depends(require("listings:read"))]

_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"$ref": "#/components/schemas/ListingIn"},
                        {"type": "array", "items": {"$ref": "#/components/schemas/ListingIn"}, "maxItems": 1000},
                    ]
                }
            }
        },
    }
}


async def read_json_body(request: Request, limit: int) -> Any:
    """Read and parse the body, refusing oversized, non-UTF-8 or malformed input with a precise message."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"request body is {int(declared)} bytes; the limit is {limit} bytes. Send smaller batches.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"request body exceeds the limit of {limit} bytes. Send smaller batches.")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        raise Invalid("the request body is empty; send a listing object or an array of listings")
    return inputs.parse_json_body(raw)


def parse_listings(payload: Any, *, max_batch: int, known_topics: list[str]) -> tuple[list[ListingIn], bool]:
    """Validate a body that is one listing or an array of them; every error names its item and field."""
    single = isinstance(payload, dict)
    items = [payload] if single else payload
    if not isinstance(items, list):
        raise Invalid(
            f"expected a listing object or an array of listings, got {type(payload).__name__}",
            detail=[{"loc": ["body"], "msg": "expected an object or an array"}],
        )
    if not items:
        raise Invalid("the array is empty; send at least one listing", detail=[{"loc": ["body"], "msg": "empty array"}])
    if len(items) > max_batch:
        raise Invalid(
            f"a batch holds at most {max_batch} listings; this one has {len(items)}. Split it.",
            detail=[{"loc": ["body"], "msg": f"at most {max_batch} items"}],
        )
    listings: list[ListingIn] = []
    detail: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        prefix: list[Any] = ["body"] if single else ["body", index]
        if not isinstance(item, dict):
            detail.append({"loc": prefix, "msg": f"expected a listing object, got {type(item).__name__}"})
            continue
        try:
            listing = ListingIn.model_validate(item)
        except ValidationError as exc:
            detail.extend(
                {"loc": [*prefix, *e.field.split(".")], "msg": e.message} for e in validation_errors(index, exc)
            )
            continue
        detail.extend(
            {"loc": [*prefix, "labels"], "msg": e.message} for e in check_topics(listing, index, known_topics)
        )
        listings.append(listing)
    if detail:
        first = detail[0]
        where = ".".join(str(p) for p in first["loc"])
        more = f" (and {len(detail) - 1} more problems)" if len(detail) > 1 else ""
        raise Invalid(f"{where}: {first['msg']}{more}; nothing was stored", detail=detail)
    return listings, single


@router.post(
    "",
    summary="Submit one listing or a batch and get the action for each",
    openapi_extra=_BODY_DOC,
    response_model=ListingResult | ListingResults,
    responses={413: {"description": "Body too large"}, 422: {"description": "Invalid listing"}},
)
async def create_listings(request: Request, screener: CurrentScreener, settings: AppSettings, user: Writer) -> Any:
    """Store and screen listings. A batch is all-or-nothing: one invalid listing rejects the request.

    Re-sending an unchanged listing returns its stored action (``status: unchanged``); changed content
    is stored as a new revision and screened again (``status: revised``). The listings are written in a
    transaction of their own, possibly shared with requests that arrived at the same moment (group commit).
    """
    payload = await read_json_body(request, settings.max_body_bytes)
    listings, single = parse_listings(payload, max_batch=settings.max_batch, known_topics=screener.topics)
    records = await app_state(request).group_commit.submit(listings)  # see intake.group_commit
    # The records are plain JSON types already; skipping FastAPI's generic encoder saves milliseconds.
    return JSONResponse(records[0] if single else {"results": records})


@router.get(
    "/{listing_id}",
    summary="The latest revision of a listing and its latest action",
    response_model=ListingWithAction,
    responses={404: {"description": "No such listing"}},
)
def get_listing(listing_id: Annotated[inputs.Text, Path(max_length=128)], db_session: DbSession, user: Reader) -> Any:
    """Look up a listing by the marketplace's id."""
    revision = service.get_current_revision_or_raise(db_session, listing_id=listing_id)
    action = screening_service.latest_action(db_session, revision_id=revision.id)
    return {
        "listing": service.revision_record(revision),
        "action": screening_service.action_record(action, revision) if action else None,
    }
