"""A Client's submissions: the billable POSTs (generate, ads), and what became of each.

`Submitter.generate` / `.ads` prepare a validated request (images loaded and sized
in worker threads, the seed drawn, the size chosen from the first image), then
`_submit` sends it once and books exactly one outcome. The caller may pass a
`Submission` record to follow it (`hfwidgets.run()` and the Studio do: it says
truthfully what a Ctrl-C or a Cancel interrupted); it is an explicit argument of
`Client.generate` and `Client.ads`, told by the sender the moment its request
leaves (`_transport.Delivery`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ._connections import Connections
from ._errors import HiggsfieldError, SubmissionUncertain, ValidationError
from ._http import NOT_RESUBMITTED, Requester
from ._images import LoadedImage, PreparedImage, load_image, prepare_image, upscale_note, url_image_size
from ._journal_access import JournalAccess
from ._ledger import Ledger, price
from ._models import SEED_MAX, SEED_MIN, Task, size_for_aspect, task_id_problem
from ._requests import AdsRequest, GenerateRequest

__all__ = ["ADS_PATH", "GENERATE_PATH", "Submission", "Submitter"]

logger = logging.getLogger("hfwidgets")

GENERATE_PATH = "/higgsfield/generate"
ADS_PATH = "/higgsfield/ads"


@dataclass
class Submission:
    """What became of one billable POST, as far as this process knows; filled in by the client.

    `phase`: "preparing" (nothing sent), "sending" (the request may be on its
    way), then "accepted" (`task_id` is set), "uncertain" (it may exist and may
    have been charged; `journal_id` is its local id in the journal, when it was
    journalled) or "not sent" (refused or never delivered: nothing charged).
    `settled` is set once the outcome is final. `hfwidgets.run()` reads it to say
    truthfully what Ctrl-C interrupted.
    """

    phase: str = "preparing"
    cost: int = 0
    sent: bool = False
    """True once the request was handed to the connection: from then on it may have arrived."""
    sent_at: datetime | None = None
    """When the request was last handed to the connection (the task's submission time)."""
    task_id: str | None = None
    journal_id: str | None = None
    journal_problem: str | None = None
    settled: threading.Event = field(default_factory=threading.Event, repr=False)

    def on_sent(self) -> None:
        """Its request was handed to the connection (a `_transport.Delivery`)."""
        self.sent = True
        self.sent_at = datetime.now(timezone.utc)

    def on_refused(self) -> None:
        """A 429 refused its request before any work: it did not arrive as a task."""
        self.sent = False


class Submitter:
    """Prepares and sends a Client's billable requests; the one place that books them."""

    def __init__(
        self,
        *,
        base_url: str,
        requester: Requester,
        connections: Connections,
        ledger: Ledger,
        journal: JournalAccess,
        timeout: float,
    ) -> None:
        self.base_url = base_url
        self.requester = requester
        self.connections = connections
        self.ledger = ledger
        self.journal = journal
        self.timeout = timeout
        """Seconds a submission refused with 429 keeps waiting its turn (`submission_timeout`)."""

    def __repr__(self) -> str:
        return f"Submitter(base_url={self.base_url!r})"

    async def generate(self, request: GenerateRequest, submission: Submission | None) -> Task:
        cost = price(request.model)
        self.ledger.check_budget(cost)  # early, before any image work; checked again right before sending
        loaded = await _load(request.image)
        size = request.size
        if size is None:
            first = loaded[0]
            size = first.size
            if size is None and first.url is not None:
                size = await self.image_size(first.url)
            if size is None:
                raise ValidationError("width", None, "width and height in pixels")
            _, size = size_for_aspect(*size)
        prepared = await _prepare(loaded, size)
        seed = request.seed if request.seed is not None else random.randint(SEED_MIN, SEED_MAX)
        request = dataclasses.replace(request, seed=seed, width=size[0], height=size[1])
        body = request.to_body([p.value for p in prepared])
        return await self._submit(GENERATE_PATH, body, request.to_task("", cost), prepared[0], submission)

    async def ads(self, request: AdsRequest, submission: Submission | None) -> Task:
        cost = price("ads")
        self.ledger.check_budget(cost)
        loaded = await _load(request.image)
        prepared = await _prepare(loaded, (request.width, request.height))
        body = request.to_body([p.value for p in prepared])
        return await self._submit(ADS_PATH, body, request.to_task("", cost), prepared[0], submission)

    async def image_size(self, url: str) -> tuple[int, int]:
        """The displayed pixel size of the image at `url` (see `Client.image_size`)."""
        return await url_image_size(url, self.connections.http())

    async def _submit(
        self,
        path: str,
        body: dict[str, Any],
        draft: Task,
        image: PreparedImage | None,
        submission: Submission | None,
    ) -> Task:
        """POST a billable body once (see `_http`) and account for it, whatever happens.

        The one place where money and the journal meet a submission: the budget
        is checked and the points held while sending; a "submitting" row is
        journalled before the request leaves; then exactly one outcome is booked:
        accepted (`spent`; the row becomes the task), uncertain (`uncertain`;
        the row stays, with a note: a SubmissionUncertain, or a cancellation or
        unexpected error once the request may have left) or not sent (the row
        is removed: refused, or provably never delivered).
        """
        if submission is None:
            submission = Submission()
        elif submission.phase != "preparing":
            raise ValidationError("submission", submission.phase, "a new Submission (phase 'preparing')")
        submission.cost = draft.cost
        self.ledger.hold(draft.cost)
        journal = self.journal.journal
        if journal is not None:
            submission.journal_id = self.journal.call(
                journal.begin_submission,
                draft,
                base_url=self.base_url,
                image_digest=image.digest if image else None,
                thumbnail=image.thumbnail if image else None,
            )
        submission.journal_problem = self.journal.last_problem
        submission.phase = "sending"
        endpoint = f"POST {path}"
        outcome, note, task = "not sent", "", None
        try:
            payload = await self.requester.post_json(
                self.connections.writer(),
                self.base_url + path,
                body,
                endpoint=endpoint,
                deadline=time.monotonic() + self.timeout,
                delivery=submission,
            )
            task_id = payload.get("id") if isinstance(payload, dict) else None
            problem = task_id_problem(task_id)
            if problem is not None:
                raise SubmissionUncertain(
                    f"the service answered the submission with an unusable task id ({problem}); "
                    + NOT_RESUBMITTED,
                    endpoint=endpoint,
                )
            assert isinstance(task_id, str)
            # Submitted when the request left, not when it was drafted: a POST that queued behind
            # others for a minute is a minute younger than its draft, and its polls follow this time.
            created = submission.sent_at or datetime.now(timezone.utc)
            task = dataclasses.replace(draft, id=task_id, created_at=created)
            outcome = "accepted"
            return task
        except SubmissionUncertain as error:
            outcome, note = "uncertain", error.message
            raise
        except HiggsfieldError:
            raise  # refused by the service, or never delivered: nothing was charged
        except Exception as error:
            if not submission.sent:
                raise
            outcome = "uncertain"
            note = f"an unexpected {type(error).__name__} after the request was sent"
            # The original may carry request details (headers): only its type is kept.
            raise SubmissionUncertain(f"{note}; {NOT_RESUBMITTED}", endpoint=endpoint) from None
        except BaseException:  # cancelled (a widget's Cancel, Ctrl-C) or the interpreter exiting
            if submission.sent:
                outcome = "uncertain"
                note = "cancelled after the request was sent, before the service answered"
            raise
        finally:
            self._book(submission, outcome, note, task, image)

    def _book(
        self, submission: Submission, outcome: str, note: str, task: Task | None, image: PreparedImage | None
    ) -> None:
        """Book a submission's outcome: the session tally, then the journal row (never raises)."""
        self.ledger.settle(submission.cost, outcome)
        journal, local_id = self.journal.journal, submission.journal_id
        if task is not None:
            submission.task_id = task.id
            logger.info("submitted %r", task)
            if journal is not None:
                self.journal.call(
                    journal.record,
                    task,
                    base_url=self.base_url,
                    image_digest=image.digest if image else None,
                    thumbnail=image.thumbnail if image else None,
                    submission_id=local_id,
                )
        elif journal is not None and local_id is not None:
            if outcome == "uncertain":
                self.journal.call(journal.mark_uncertain, local_id, note)
            else:
                self.journal.call(journal.discard_submission, local_id)
        if outcome == "uncertain":
            where = f" (journalled as {local_id})" if local_id and self.journal.last_problem is None else ""
            logger.warning("a submission may exist and may have been charged%s: %s", where, note)
        submission.journal_problem = self.journal.last_problem
        submission.phase = outcome
        submission.settled.set()


async def _load(images: Sequence[Any]) -> list[LoadedImage]:
    return [
        await asyncio.to_thread(load_image, item, field="image" if len(images) == 1 else f"image[{i}]")
        for i, item in enumerate(images)
    ]


async def _prepare(loaded: Sequence[Any], target: tuple[int, int]) -> list[PreparedImage]:
    # Decoding and resizing are CPU work: keep the event loop (and the widgets) responsive.
    prepared = [await asyncio.to_thread(prepare_image, item, target) for item in loaded]
    for item in prepared:
        note = upscale_note(item.size, target) if item.size is not None else None
        if note is not None:
            logger.warning("hfwidgets: %s", note)
    return prepared
