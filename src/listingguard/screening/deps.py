"""The screening dependency of routes: the production screener serving now."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from listingguard.screening.pipeline import Screener
from listingguard.state import app_state


async def get_screener(request: Request) -> Screener:
    """The production screener serving now (it follows the ``production`` alias; see ``registry.serving``)."""
    return app_state(request).deployments.current.production


CurrentScreener = Annotated[Screener, Depends(get_screener)]
