"""Error mapping, retries and the no-blind-resubmission rule, on httpx.MockTransport."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from hfwidgets import (
    APIError,
    AuthError,
    InsufficientCredits,
    MalformedResponse,
    RateLimited,
    SubmissionUncertain,
    _http,
)
from hfwidgets._config import ApiKey
from hfwidgets._http import (
    MAX_RETRY_AFTER,
    Failure,
    Pacer,
    Requester,
    error_message,
    map_error,
    parse_retry_after,
    retry_delay,
    should_retry,
)
from hfwidgets._transport import HttpxSender

KEY = "hk-test-0123456789abcdef"
BASE = "https://api.example.test"
FEED_URL = BASE + "/higgsfield/feed/t1"
POST_URL = BASE + "/higgsfield/generate"
Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler playing a script of answers, remembering every request."""

    def __init__(self, *answers: httpx.Response | Exception | Handler) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer


def requester(max_retries: int = 4) -> tuple[Requester, list[float]]:
    sleeps: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return Requester(key=ApiKey(KEY), base_url=BASE, max_retries=max_retries, sleep=fake_sleep), sleeps


def http_for(recorder: Recorder) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(recorder))


def ok(payload: Any) -> httpx.Response:
    return httpx.Response(200, json=payload)


async def get(recorder: Recorder, max_retries: int = 4) -> tuple[Any, list[float]]:
    req, sleeps = requester(max_retries)
    async with http_for(recorder) as http:
        return await req.get_json(HttpxSender(http), FEED_URL, endpoint="GET feed", task_id="t1"), sleeps


async def post(recorder: Recorder, max_retries: int = 4) -> tuple[Any, list[float]]:
    req, sleeps = requester(max_retries)
    async with http_for(recorder) as http:
        return await req.post_json(
            HttpxSender(http), POST_URL, {"model": "lite"}, endpoint="POST generate"
        ), sleeps


# --------------------------------------------------------------------------- error mapping


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (401, {"error": "invalid api key"}, AuthError),
        (403, {"detail": "forbidden"}, AuthError),
        (402, {"message": "payment required"}, InsufficientCredits),
        (403, {"error": {"message": "用户额度不足", "code": "insufficient_user_quota"}}, InsufficientCredits),
        (400, {"error": "Insufficient credits: 3 left"}, InsufficientCredits),
        (404, {"detail": "task not found"}, APIError),
        (422, {"detail": [{"loc": ["body", "seed"], "msg": "seed too large"}]}, APIError),
        (429, {"error": "slow down"}, RateLimited),
        (500, "Internal Server Error", APIError),
    ],
)
async def test_error_answers_map_to_typed_errors(status: int, body: Any, kind: type[APIError]) -> None:
    content = json.dumps(body) if not isinstance(body, str) else body
    recorder = Recorder(httpx.Response(status, content=content.encode()))
    with pytest.raises(kind) as caught:
        await get(recorder, max_retries=0)
    assert type(caught.value) is kind
    assert caught.value.status == status
    assert caught.value.endpoint == "GET feed"
    assert caught.value.task_id == "t1"
    assert str(status) in str(caught.value)


def test_messages_are_extracted_from_every_body_shape() -> None:
    def message(status: int, content: str, content_type: str = "application/json") -> str:
        return error_message(
            httpx.Response(status, content=content.encode(), headers={"content-type": content_type})
        )

    assert message(400, '{"error": "bad seed"}') == "bad seed"
    assert message(400, '{"error": {"message": "bad width", "type": "x"}}') == "bad width"
    assert message(400, '{"detail": "nope"}') == "nope"
    assert message(400, '{"message": "hello"}') == "hello"
    assert message(502, "upstream   went\naway", "text/plain") == "upstream went away"
    page = "<html><head><title>502 Bad Gateway</title><style>b{}</style></head><body><h1>x</h1></body></html>"
    assert message(502, page, "text/html") == "502 Bad Gateway"
    assert message(
        503, "<html><body><h1>Down &amp; out</h1><script>x()</script></body></html>", "text/html"
    ) == ("Down & out")
    assert message(500, "", "text/plain") == "Internal Server Error"
    assert len(message(500, "x" * 5000, "text/plain")) <= 200


def test_body_excerpt_is_short_and_key_is_scrubbed() -> None:
    response = httpx.Response(400, json={"error": f"bad key {KEY}", "echo": "y" * 1000})
    error = map_error(response, endpoint="POST generate", secrets=(KEY,))
    assert KEY not in str(error) and KEY not in error.body and KEY not in error.message
    assert "hk-***" in error.message
    assert len(error.body) <= 300


# --------------------------------------------------------------------------- reads


async def test_read_retries_a_5xx_burst_then_succeeds() -> None:
    recorder = Recorder(
        httpx.Response(502, text="bad gateway"), httpx.Response(503), httpx.Response(500), ok({"id": "t1"})
    )
    payload, sleeps = await get(recorder)
    assert payload == {"id": "t1"}
    assert len(recorder.requests) == 4
    assert len(sleeps) == 3
    # Exponential with jitter in [0.5, 1] of 0.5 * 2**n.
    for attempt, slept in enumerate(sleeps):
        assert 0.25 * 2**attempt <= slept <= 0.5 * 2**attempt


async def test_read_honours_retry_after_seconds() -> None:
    recorder = Recorder(httpx.Response(429, headers={"Retry-After": "7"}), ok({"id": "t1"}))
    _, sleeps = await get(recorder)
    assert sleeps == [7.0]


async def test_read_honours_retry_after_http_date(monkeypatch: pytest.MonkeyPatch) -> None:
    # The wall clock is the test's: an HTTP date has whole seconds, so "now" is a whole second too.
    now = datetime(2026, 12, 6, 23, 0, 0, tzinfo=timezone.utc)
    monkeypatch.setattr(time, "time", now.timestamp)
    when = now + timedelta(seconds=30)
    recorder = Recorder(
        httpx.Response(429, headers={"Retry-After": format_datetime(when, usegmt=True)}), ok({})
    )
    _, sleeps = await get(recorder)
    assert sleeps == [30.0]  # one pause, as asked; the queue does not hold the retry a second time


async def test_429_without_retry_after_uses_backoff() -> None:
    recorder = Recorder(httpx.Response(429), ok({}))
    _, sleeps = await get(recorder)
    assert len(sleeps) == 1 and 0.25 <= sleeps[0] <= 0.5


async def test_exhausted_429_raises_rate_limited_with_the_hint() -> None:
    recorder = Recorder(httpx.Response(429, headers={"Retry-After": "3"}, json={"error": "too many"}))
    with pytest.raises(RateLimited) as caught:
        await get(recorder, max_retries=2)
    assert caught.value.retry_after == 3.0
    assert len(recorder.requests) == 3


def test_retry_after_is_parsed_and_capped() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("3600") == MAX_RETRY_AFTER
    assert parse_retry_after("-4") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert retry_delay(0, retry_after=7.0) == 7.0


async def test_read_retries_transport_errors() -> None:
    recorder = Recorder(httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("dropped"), ok({"id": "t1"}))
    payload, sleeps = await get(recorder)
    assert payload == {"id": "t1"} and len(sleeps) == 2


async def test_read_gives_up_on_transport_errors_with_an_api_error() -> None:
    recorder = Recorder(httpx.ConnectError("refused"))
    with pytest.raises(APIError, match="network error") as caught:
        await get(recorder, max_retries=1)
    assert caught.value.status is None
    assert len(recorder.requests) == 2


async def test_4xx_reads_are_not_retried() -> None:
    recorder = Recorder(httpx.Response(404, json={"detail": "no such task"}))
    with pytest.raises(APIError, match="no such task"):
        await get(recorder)
    assert len(recorder.requests) == 1


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        ("{not json", "application/json"),
        ("<html><title>Login</title></html>", "text/html"),
        ("ok", "text/plain"),
    ],
)
async def test_2xx_that_is_not_json_is_malformed_and_names_the_task(content: str, content_type: str) -> None:
    recorder = Recorder(httpx.Response(200, content=content.encode(), headers={"content-type": content_type}))
    with pytest.raises(MalformedResponse) as caught:
        await get(recorder)
    assert caught.value.task_id == "t1"
    assert "t1" in str(caught.value)


async def test_retry_stops_before_the_deadline() -> None:

    recorder = Recorder(httpx.Response(429, headers={"Retry-After": "30"}))
    req, sleeps = requester()
    async with http_for(recorder) as http:
        with pytest.raises(RateLimited):
            await req.get_json(
                HttpxSender(http), FEED_URL, endpoint="GET feed", deadline=time.monotonic() + 5
            )
    assert sleeps == []


# --------------------------------------------------------------------------- billable posts


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("timed out"),
        httpx.WriteTimeout("timed out"),
        httpx.RemoteProtocolError("server disconnected"),
        httpx.ReadError("connection reset"),
        httpx.Response(500, text="oops"),
        httpx.Response(
            502, text="<html><title>502 Bad Gateway</title></html>", headers={"content-type": "text/html"}
        ),
        httpx.Response(504),
    ],
)
async def test_post_failures_after_sending_are_uncertain_and_sent_once(failure: Any) -> None:
    recorder = Recorder(failure, ok({"id": "never"}))
    with pytest.raises(SubmissionUncertain, match="NOT resubmitted"):
        await post(recorder)
    assert len(recorder.requests) == 1


async def test_post_with_a_2xx_but_no_task_id_is_uncertain_and_malformed() -> None:
    recorder = Recorder(httpx.Response(200, text="<html>ok</html>"), ok({"id": "never"}))
    with pytest.raises(SubmissionUncertain) as caught:
        await post(recorder)
    assert isinstance(caught.value, MalformedResponse)
    assert len(recorder.requests) == 1


@pytest.mark.parametrize(
    ("status", "kind"),
    [(400, APIError), (401, AuthError), (402, InsufficientCredits), (403, AuthError), (404, APIError)],
)
async def test_post_refusals_raise_their_error_and_are_sent_once(status: int, kind: type[APIError]) -> None:
    recorder = Recorder(httpx.Response(status, json={"error": "no"}), ok({"id": "never"}))
    with pytest.raises(kind) as caught:
        await post(recorder)
    assert not isinstance(caught.value, SubmissionUncertain)
    assert len(recorder.requests) == 1


async def test_post_is_resent_when_the_connection_was_refused() -> None:
    recorder = Recorder(httpx.ConnectError("connection refused"), ok({"id": "t9"}))
    payload, sleeps = await post(recorder)
    assert payload == {"id": "t9"}
    assert len(recorder.requests) == 2 and len(sleeps) == 1


async def test_post_that_never_got_a_pooled_connection_is_resent_exactly_once() -> None:
    recorder = Recorder(httpx.PoolTimeout("no connection free in the pool"), ok({"id": "t9"}))
    payload, sleeps = await post(recorder)
    assert payload == {"id": "t9"}
    assert len(recorder.requests) == 2 and len(sleeps) == 1


async def test_post_pool_timeouts_give_up_as_a_plain_error_not_an_uncertain_one() -> None:
    recorder = Recorder(httpx.PoolTimeout("no connection free in the pool"))
    with pytest.raises(APIError, match="PoolTimeout") as caught:
        await post(recorder, max_retries=1)
    assert not isinstance(caught.value, SubmissionUncertain)
    assert len(recorder.requests) == 2


def refusing_t1_once(
    retry_after: str,
) -> tuple[list[tuple[str, Any]], Requester, httpx.MockTransport]:
    """A requester whose sleeps are recorded, and a transport answering 429 to the first read of t1."""
    events: list[tuple[str, Any]] = []

    async def fake_sleep(seconds: float) -> None:
        events.append(("sleep", seconds))

    def answer(request: httpx.Request) -> httpx.Response:
        events.append(("sent", request.url.path))
        if request.url.path.endswith("/t1") and sum(e[0] == "sent" for e in events) == 1:
            return httpx.Response(429, headers={"Retry-After": retry_after})
        return ok({"id": request.url.path.rsplit("/", 1)[1]})

    req = Requester(key=ApiKey(KEY), base_url=BASE, sleep=fake_sleep, rng=lambda: 0.5)
    return events, req, httpx.MockTransport(answer)


async def test_a_429_on_one_read_holds_back_the_other_reads() -> None:
    events, req, transport = refusing_t1_once("7")
    async with httpx.AsyncClient(transport=transport) as http:
        assert req.paused_for == 0
        await req.get_json(HttpxSender(http), FEED_URL, endpoint="GET feed")
        assert 6.0 < req.paused_for <= 7.0  # the fake sleep took no time: the pause is still on
        await req.get_json(HttpxSender(http), BASE + "/higgsfield/feed/t2", endpoint="GET feed")
    # t1 waited its own Retry-After once; t2, never refused, was sent only after waiting out the
    # pause (plus its share of the release spread, and its place in the slowed-down pace).
    assert [kind for kind, _ in events[:3]] == ["sent", "sleep", "sent"] and events[1][1] == 7.0
    assert events[-1] == ("sent", "/higgsfield/feed/t2")
    waited = [value for kind, value in events[3:-1] if kind == "sleep"]
    assert len(waited) == len(events[3:-1]) >= 1
    assert sum(waited) >= 7.0 - 0.5


async def test_a_short_retry_after_delays_only_the_refused_read() -> None:
    """A per-second limit (Retry-After: 1) is left to the pacer: the others are not paused."""
    events, req, transport = refusing_t1_once("1")
    async with httpx.AsyncClient(transport=transport) as http:
        await req.get_json(HttpxSender(http), FEED_URL, endpoint="GET feed")
        assert req.paused_for == 0
        await req.get_json(HttpxSender(http), BASE + "/higgsfield/feed/t2", endpoint="GET feed")
    assert events[:3] == [("sent", "/higgsfield/feed/t1"), ("sleep", 1.0), ("sent", "/higgsfield/feed/t1")]
    paced = [value for kind, value in events[3:-1] if kind == "sleep"]
    assert sum(paced) < 1.0  # at most a pacing gap, never the refused request's second
    assert events[-1] == ("sent", "/higgsfield/feed/t2")


def test_pacer_cuts_from_the_rate_the_service_accepted_not_from_demand() -> None:
    pacer = Pacer(floor=1.0, cut=0.5, increase=0.1)
    assert pacer.release_time(100.0) == 100.0  # not pacing before any 429
    for i in range(40):  # 40 answers accepted over the last second...
        pacer.accepted(100.0 + i / 40)
    pacer.refused(100.99, released_at=100.9)  # ...whatever was asked for meanwhile
    assert pacer.rate == pytest.approx(20.0)
    pacer.refused(101.0, released_at=100.95)  # released before the cut: the same overload
    assert pacer.rate == pytest.approx(20.0)
    pacer.refused(101.5, released_at=101.2)  # a new refusal after the cut: cut again
    assert pacer.rate is not None and pacer.rate < 20.0


def test_pacer_does_not_pace_from_a_refusal_when_nothing_was_accepted() -> None:
    pacer = Pacer()
    pacer.refused(10.0, released_at=9.9)
    assert pacer.rate is None  # no rate is known to work: the backoff alone acts


def test_pacer_grows_additively_while_nothing_is_refused_then_stops_pacing() -> None:
    pacer = Pacer(floor=1.0, cut=0.5, increase=0.1, forget=30.0)
    for i in range(100):
        pacer.accepted(200.0 + i / 100)
    pacer.refused(200.99, released_at=200.9)
    assert pacer.rate == pytest.approx(50.0)
    assert pacer.current(204.99) == pytest.approx(70.0)  # 4 s at 10 % of 50/s a second
    assert pacer.current(208.99) == pytest.approx(90.0)  # additive: the same step, not a growing one
    assert pacer.current(231.0) is None  # 30 s without a refusal: no pace any more


def test_pacer_releases_one_queue_at_its_rate() -> None:
    pacer = Pacer(floor=1.0, cut=0.5, increase=0.0)
    for i in range(40):
        pacer.accepted(100.0 + i / 40)
    pacer.refused(101.0, released_at=100.99)
    assert pacer.rate == pytest.approx(20.0)
    releases = []
    for _ in range(5):
        when = pacer.release_time(101.0)
        pacer.released(when)
        releases.append(when - 101.0)
    assert releases == pytest.approx([0.0, 0.05, 0.1, 0.15, 0.2], abs=1e-6)


def test_a_long_retry_after_holds_the_whole_queue() -> None:
    pacer = Pacer()
    pacer.refused(10.0, released_at=9.9, retry_after=40.0)
    assert pacer.release_time(11.0) == pytest.approx(50.0)
    short = Pacer()
    short.refused(10.0, released_at=9.9, retry_after=1.0)  # a per-second limit: left to the pace
    assert short.not_before == 0.0


@pytest.mark.parametrize(
    ("failure", "billable", "retried"),
    [
        (Failure(SubmissionUncertain("x"), delivered=True), True, False),
        (Failure(APIError("refused connection"), delivered=False), True, True),
        (Failure(RateLimited("slow", status=429), delivered=False), True, True),
        (Failure(APIError("HTTP 400", status=400), delivered=True), True, False),
        (Failure(APIError("HTTP 503", status=503), delivered=True), False, True),
        (Failure(APIError("HTTP 404", status=404), delivered=True), False, False),
        (Failure(MalformedResponse("not JSON", status=200), delivered=True), False, False),
        (Failure(AuthError("no", status=401), delivered=True), False, False),
    ],
)
def test_should_retry_only_what_is_safe_and_useful(failure: Failure, billable: bool, retried: bool) -> None:
    assert should_retry(failure, billable=billable, attempt=0, max_retries=4) is retried


def test_retries_end_with_max_retries_except_refused_submissions() -> None:
    refused = Failure(RateLimited("slow", status=429), delivered=False)
    assert not should_retry(refused, billable=False, attempt=4, max_retries=4)
    assert should_retry(refused, billable=True, attempt=40, max_retries=4)  # its deadline ends it
    unconnected = Failure(APIError("refused connection"), delivered=False)
    assert not should_retry(unconnected, billable=True, attempt=4, max_retries=4)


async def test_reads_are_not_held_back_without_a_429() -> None:
    recorder = Recorder(ok({"id": "t1"}))
    req, sleeps = requester()
    async with http_for(recorder) as http:
        await req.get_json(HttpxSender(http), FEED_URL, endpoint="GET feed")
        await req.get_json(HttpxSender(http), FEED_URL, endpoint="GET feed")
    assert sleeps == [] and len(recorder.requests) == 2


async def test_post_is_resent_after_429_honouring_retry_after() -> None:
    recorder = Recorder(httpx.Response(429, headers={"Retry-After": "7"}), ok({"id": "t9"}))
    payload, sleeps = await post(recorder)
    assert payload == {"id": "t9"} and sleeps == [7.0]
    assert len(recorder.requests) == 2


SATURATED = {
    "error": {"message": "当前分组上游负载已饱和，请稍后再试", "type": "new_api_error", "code": None}
}


@pytest.mark.parametrize(
    "body",
    [
        json.dumps(SATURATED, ensure_ascii=False),
        '{"error": "upstream saturated, request not forwarded"}',
        "no available channel for model lite",
    ],
)
async def test_post_refused_by_a_saturated_gateway_is_resent_never_uncertain(body: str) -> None:
    saturated = httpx.Response(503, content=body.encode(), headers={"Retry-After": "2"})
    recorder = Recorder(saturated, ok({"id": "t9"}))
    payload, sleeps = await post(recorder)
    assert payload == {"id": "t9"} and sleeps == [2.0]
    recorder = Recorder(saturated)
    with pytest.raises(APIError, match="did not forward") as caught:
        await post(recorder, max_retries=2)
    assert not isinstance(caught.value, SubmissionUncertain)
    assert caught.value.status == 503 and "nothing was charged" in str(caught.value)
    assert len(recorder.requests) == 3


async def test_a_503_that_does_not_say_saturated_stays_uncertain() -> None:
    recorder = Recorder(httpx.Response(503, json={"error": "service unavailable"}), ok({"id": "never"}))
    with pytest.raises(SubmissionUncertain, match="NOT resubmitted"):
        await post(recorder)
    assert len(recorder.requests) == 1


async def test_post_refused_connections_give_up_after_max_retries() -> None:
    recorder = Recorder(httpx.ConnectError("connection refused"))
    with pytest.raises(APIError, match="ConnectError") as caught:
        await post(recorder, max_retries=2)
    assert not isinstance(caught.value, SubmissionUncertain)
    assert len(recorder.requests) == 3


# --------------------------------------------------------------------------- auth header and logs


async def test_key_goes_only_to_the_base_url() -> None:
    seen: dict[str, str | None] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen[str(request.url)] = request.headers.get("authorization")
        return ok({})

    req, _ = requester()
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        for url in (
            FEED_URL,
            "https://fnf.example.test/motions",
            "http://api.example.test/higgsfield/feed/t1",  # other scheme
            "https://api.example.test:8443/higgsfield/feed/t1",  # other port
            "https://api.example.test.evil.test/higgsfield/feed/t1",
        ):
            await req.get_json(HttpxSender(http), url, endpoint="GET")
    assert seen[FEED_URL] == f"Bearer {KEY}"
    assert [value for url, value in seen.items() if url != FEED_URL] == [None, None, None, None]


def test_base_url_with_a_path_only_covers_that_path() -> None:
    req = Requester(key=ApiKey(KEY), base_url="https://proxy.test/api/")
    assert req.is_api_url("https://proxy.test/api/higgsfield/feed/x")
    assert not req.is_api_url("https://proxy.test/apix/higgsfield")
    assert not req.is_api_url("https://proxy.test/other")


async def test_redirects_are_not_followed_on_api_calls() -> None:
    recorder = Recorder(
        httpx.Response(302, headers={"Location": "https://elsewhere.test/steal"}), ok({"id": "x"})
    )
    with pytest.raises(APIError) as caught:
        await get(recorder, max_retries=0)
    assert caught.value.status == 302
    assert len(recorder.requests) == 1


async def test_debug_log_has_method_path_status_and_never_the_key(caplog: pytest.LogCaptureFixture) -> None:
    recorder = Recorder(httpx.Response(500, text=f"echo {KEY}"), ok({"id": "t1"}))
    with caplog.at_level(logging.DEBUG, logger="hfwidgets"):
        await get(recorder)
    text = caplog.text
    assert "GET /higgsfield/feed/t1 -> 500" in text
    assert "GET /higgsfield/feed/t1 -> 200" in text
    assert KEY not in text and "Bearer" not in text


# --------------------------------------------------------------------------- the throttle


async def test_reads_keep_their_share_of_slots_while_submissions_queue() -> None:
    import asyncio

    from hfwidgets._http import MAX_IN_FLIGHT, READ_SHARE

    release = asyncio.Event()
    posts_in_flight = 0

    async def answer(request: httpx.Request) -> httpx.Response:
        nonlocal posts_in_flight
        if request.method == "POST":
            posts_in_flight += 1
            await release.wait()
            return ok({"id": "t9"})
        return ok({"id": "t1"})

    req, _ = requester()
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        posts = [
            asyncio.create_task(
                req.post_json(HttpxSender(http), POST_URL, {"model": "lite"}, endpoint="POST generate")
            )
            for _ in range(3 * MAX_IN_FLIGHT)
        ]
        for _ in range(20):
            await asyncio.sleep(0)
        # The feed read goes through while dozens of submissions wait for an answer or a slot.
        assert await asyncio.wait_for(req.get_json(HttpxSender(http), FEED_URL, endpoint="GET feed"), 5) == {
            "id": "t1"
        }
        assert posts_in_flight == MAX_IN_FLIGHT - READ_SHARE
        release.set()
        assert len(await asyncio.gather(*posts)) == 3 * MAX_IN_FLIGHT


async def test_paced_requests_leave_in_the_order_they_came() -> None:
    import asyncio

    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path.rsplit("/", 1)[1])
        return ok({})

    req, sleeps = requester()
    for i in range(20):
        req.pacer.accepted(time.monotonic() - i / 40)
    req.pacer.refused(time.monotonic(), released_at=time.monotonic())  # pacing now, at ~17 req/s
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        names = [f"t{i}" for i in range(12)]
        await asyncio.gather(
            *(req.get_json(HttpxSender(http), f"{BASE}/higgsfield/feed/{n}", endpoint="GET") for n in names)
        )
    assert sent == names  # one FIFO queue: nobody overtakes, nobody is starved
    assert len(sleeps) >= len(names) - 1  # each waited for its turn at the pace


# --------------------------------------------------------------------------- reading JSON

FEED_BYTES = (Path(__file__).resolve().parents[1] / "data" / "feed_completed.json").read_bytes()


@pytest.mark.parametrize(
    "content",
    [
        FEED_BYTES,
        b"NaN",  # orjson refuses these four; the standard library reads them
        b"[1e400]",
        b'"\\ud800"',
        b'\xef\xbb\xbf{"id": "t-1"}',
        b"null",
    ],
    ids=["a feed", "NaN", "infinity", "lone surrogate", "byte-order mark", "null"],
)
def test_answers_read_as_the_standard_library_reads_them(content: bytes) -> None:
    expected = json.loads(content)
    got = _http._loads(content)
    assert repr(got) == repr(expected)  # repr: NaN != NaN


@pytest.mark.parametrize("content", [b"", b'{"id": ', b"\xff\xfe", b"[" * 100_000])
def test_what_is_not_json_is_invalid_with_or_without_orjson(
    content: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _http._loads(content) is _http._INVALID
    monkeypatch.setattr(_http, "_fast_json_loads", lambda: None)
    assert _http._loads(content) is _http._INVALID


def test_orjson_reads_answers_when_installed() -> None:
    orjson = pytest.importorskip("orjson")
    assert _http._fast_json_loads() is orjson.loads


def test_pacer_books_one_release_time_per_request_whichever_loop_asks() -> None:
    """Two event loops of one client (a widget's, the facade's thread) ask at the same instant:
    each gets its own release time, one gap apart, so together they keep to the pace."""
    pacer = Pacer(floor=1.0, cut=0.5, increase=0.0)
    for i in range(40):
        pacer.accepted(100.0 + i / 40)
    pacer.refused(100.99, released_at=100.9)
    assert pacer.rate == pytest.approx(20.0)
    asked_at = 100.99  # the instant of the cut: the pace is exactly 20/s
    times: list[float] = []

    def ask() -> None:
        times.append(pacer.reserve(asked_at))

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first, second = sorted(times)
    assert second - first == pytest.approx(1 / 20.0)
    assert pacer.reserve(asked_at) == pytest.approx(second + 1 / 20.0)
