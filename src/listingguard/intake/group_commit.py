"""Group commit: requests that arrive while others are being written share one screening pass and one transaction.

A single-listing request costs about 5 ms of CPU, most of it fixed per call: a screening pass over a
batch of one, and four or five statements and a commit on the database. When requests come faster than
that for a moment (a burst, or a pause of the host or the database), they used to queue and each paid
the full price in turn, so a 40 ms pause left a tail of slow answers behind it. Here a request joins a
queue; each of a few writers takes everything queued, screens it as one batch (vectorised) and stores it
in one transaction. When traffic is smooth a group is one request and nothing changes; when it is not,
the queue drains in one pass instead of many.

What each caller sees is what it would have seen on its own:
- a group is written in arrival order, as ``ingest_and_screen`` would write them one after another
  (the same listing id twice in a group gets revision 1 and 2, or ``unchanged``);
- if a group fails for anything other than the database being unavailable, each of its requests is
  written again on its own, so one request's bad data cannot fail its neighbours, and each gets the
  answer (or the error) it would have got alone. A request that lost a race for a revision number to
  another writer is written once more and comes out as the later of the two. An unavailable database
  fails every request of the group with the same error at once rather than retrying each against a
  server that is down;
- a request cancelled (its client gone) before its group was taken is not written, like a request that
  never got a screening thread before; once taken, it is written and only the answer is lost.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import anyio
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from listingguard.intake.flows import ingest_and_screen
from listingguard.listings.schemas import ListingIn
from listingguard.screening.deployment import DeploymentSource, current_deployment
from listingguard.screening.pipeline import Screener

log = logging.getLogger(__name__)

Records = list[dict[str, Any]]
Writer = Callable[[Sequence[ListingIn]], Records]


def write_in_own_transaction(sessionmaker: Callable[[], Session], screener: Screener | DeploymentSource) -> Writer:
    """A writer that stores and screens listings in a transaction of its own, committed before it returns.

    The deployment is read once per group, when the group starts: a group is screened by one bundle from
    start to end even if an alias moves meanwhile (the next group gets the new one).
    """

    def write(listings: Sequence[ListingIn]) -> Records:
        deployment = current_deployment(screener)
        with sessionmaker() as session, session.begin():  # commits at the end, rolls back on any error
            return ingest_and_screen(session, screener=deployment, listings=listings)

    return write


@dataclass(slots=True)
class _Pending:
    listings: Sequence[ListingIn]
    future: asyncio.Future[Records]


class GroupCommit:
    """Coalesces concurrent writes of listings; at most ``writers`` groups are screened and stored at once.

    ``max_listings`` caps a group (a single request larger than that still forms a group of its own).
    ``write`` does the work of one group in a worker thread; see :func:`write_in_own_transaction`.
    """

    def __init__(self, write: Writer, *, writers: int, max_listings: int) -> None:
        self.write = write
        self.writers = writers
        self.max_listings = max_listings
        self._queue: collections.deque[_Pending] = collections.deque()
        self._active = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, listings: Sequence[ListingIn]) -> Records:
        """Store and screen ``listings`` (one request's worth) and return one record per listing, in order."""
        future: asyncio.Future[Records] = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(listings, future))
        if self._active < self.writers:
            self._active += 1
            task = asyncio.create_task(self._drain())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    def _take(self) -> list[_Pending]:
        """The next group: the oldest waiting request, then more in order while they fit."""
        group: list[_Pending] = []
        size = 0
        while self._queue:
            pending = self._queue[0]
            if pending.future.done():  # cancelled while waiting: never written
                self._queue.popleft()
                continue
            if group and size + len(pending.listings) > self.max_listings:
                break
            group.append(self._queue.popleft())
            size += len(pending.listings)
        return group

    async def _drain(self) -> None:
        group: list[_Pending] = []
        try:
            while group := self._take():
                outcomes = await anyio.to_thread.run_sync(self._write_group, [p.listings for p in group])
                for pending, outcome in zip(group, outcomes, strict=True):
                    if pending.future.done():
                        continue
                    if isinstance(outcome, BaseException):
                        pending.future.set_exception(outcome)
                    else:
                        pending.future.set_result(outcome)
        except BaseException:  # cancelled (the server is stopping): nobody waiting may hang
            for pending in [*group, *self._queue]:
                if not pending.future.done():
                    pending.future.set_exception(
                        RuntimeError(
                            "the server stopped while this request was waiting or being stored; send it again "
                            "(safe: an unchanged listing is never stored twice)"
                        )
                    )
            raise
        finally:
            self._active -= 1

    def _write_group(self, requests: list[Sequence[ListingIn]]) -> list[Records | Exception]:
        """Write a group in one transaction; fall back to one transaction per request if it fails."""
        try:
            records = self.write([listing for listings in requests for listing in listings])
        except OperationalError as exc:  # the database is unavailable: the same answer for everyone
            return [exc] * len(requests)
        except Exception as exc:
            if len(requests) == 1:  # already written alone: only a lost race is worth one more try
                return [self._attempt(requests[0]) if isinstance(exc, IntegrityError) else exc]
            log.info("a group of %d requests failed (%s); writing each on its own", len(requests), exc)
            return [self._write_alone(listings) for listings in requests]
        out: list[Records | Exception] = []
        start = 0
        for listings in requests:
            out.append(records[start : start + len(listings)])
            start += len(listings)
        return out

    def _write_alone(self, listings: Sequence[ListingIn]) -> Records | Exception:
        """Write one request; once more if another writer took the revision number it was writing.

        Two writers (threads, or server processes) revising one listing at the same moment on PostgreSQL
        can both read its current revision before either writes; the second to insert the next number
        fails on the unique key once the first commits. Written again, it reads the new current revision
        and comes out after it (or as unchanged). A new listing id cannot race this way: its insert waits
        for the other writer's (see ``listings.service.ingest``).
        """
        outcome = self._attempt(listings)
        if isinstance(outcome, IntegrityError):
            outcome = self._attempt(listings)  # it lost the race; the revision it wanted exists now
        return outcome

    def _attempt(self, listings: Sequence[ListingIn]) -> Records | Exception:
        try:
            return self.write(listings)
        except Exception as exc:
            return exc
