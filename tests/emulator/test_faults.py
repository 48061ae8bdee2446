"""Every fault knob, and the per-endpoint counters, against a private emulator each."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest

from hfwidgets.emulator import EmulatorServer

from .emulator_support import AUTH, data_url, generate_body, read_feed, submit, wait_for


def post_generate(server: EmulatorServer, **overrides: object) -> httpx.Response:
    return httpx.post(f"{server.base_url}/higgsfield/generate", json=generate_body(server, **overrides),
                      headers=AUTH, timeout=10)  # fmt: skip


def get_feed(server: EmulatorServer, task_id: str) -> httpx.Response:
    return httpx.get(f"{server.base_url}/higgsfield/feed/{task_id}", headers=AUTH, timeout=10)


def test_rate_limit_with_and_without_retry_after(private_emulator: EmulatorServer) -> None:
    private_emulator.faults.rate_limit("generate", count=2, retry_after=0.5)
    private_emulator.faults.rate_limit("generate", count=1, retry_after=None)
    first, second, third = (post_generate(private_emulator) for _ in range(3))
    assert [r.status_code for r in (first, second, third)] == [429, 429, 429]
    assert first.headers["retry-after"] == "0.5" and second.headers["retry-after"] == "0.5"
    assert "retry-after" not in third.headers
    assert "rate" in third.json()["detail"]
    assert post_generate(private_emulator).status_code == 200
    assert len(private_emulator.tasks) == 1  # refused requests created nothing


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_error_bursts(private_emulator: EmulatorServer, status: int) -> None:
    task_id = submit(private_emulator)
    private_emulator.faults.server_error("feed", count=2, status=status)
    answers = [get_feed(private_emulator, task_id) for _ in range(3)]
    assert [a.status_code for a in answers] == [status, status, 200]
    assert isinstance(answers[0].json()["detail"], str)


def test_server_error_status_must_be_5xx(private_emulator: EmulatorServer) -> None:
    with pytest.raises(ValueError, match="500, 502, 503, 504"):
        private_emulator.faults.server_error("feed", status=404)
    with pytest.raises(ValueError, match="endpoint='nope'"):
        private_emulator.faults.rate_limit("nope")


def test_html_error_page(private_emulator: EmulatorServer) -> None:
    private_emulator.faults.html_error("motions", status=502)
    page = httpx.get(private_emulator.motions_url)
    assert page.status_code == 502
    assert page.headers["content-type"].startswith("text/html")
    assert page.text.lstrip().startswith("<!DOCTYPE html>")
    assert httpx.get(private_emulator.motions_url).status_code == 200


def test_malformed_json_with_200(private_emulator: EmulatorServer) -> None:
    task_id = submit(private_emulator)
    private_emulator.faults.malformed_json("feed")
    broken = get_feed(private_emulator, task_id)
    assert broken.status_code == 200
    assert broken.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        broken.json()
    assert get_feed(private_emulator, task_id).json()["id"] == task_id


def test_dropped_connection_after_the_request_was_handled(private_emulator: EmulatorServer) -> None:
    private_emulator.faults.drop_connection("generate")
    with pytest.raises(httpx.TransportError):
        post_generate(private_emulator)
    assert len(private_emulator.tasks) == 1  # the task exists (and was billed) although the answer was lost
    assert post_generate(private_emulator).status_code == 200


def test_dropped_connection_before_handling(private_emulator: EmulatorServer) -> None:
    private_emulator.faults.drop_connection("generate", processed=False)
    with pytest.raises(httpx.TransportError):
        post_generate(private_emulator)
    assert len(private_emulator.tasks) == 0
    assert private_emulator.counters["generate"] == 1


def test_dropped_connection_on_a_video_download(private_emulator: EmulatorServer) -> None:
    feed = wait_for(private_emulator, submit(private_emulator))
    private_emulator.faults.drop_connection("files")
    with pytest.raises(httpx.TransportError):
        httpx.get(feed["jobs"][0]["result"]["url"])
    assert httpx.get(feed["jobs"][0]["result"]["url"]).status_code == 200


def test_delay_slows_the_next_answers(private_emulator: EmulatorServer) -> None:
    private_emulator.faults.delay("motions", 0.4, count=1)
    started = time.monotonic()
    assert httpx.get(private_emulator.motions_url).status_code == 200
    assert time.monotonic() - started >= 0.35  # a lower bound only: it was held back
    assert private_emulator.faults.take_delay("motions") == 0.0  # the counted delay is used up


def test_delay_times_out_a_client(private_emulator: EmulatorServer) -> None:
    private_emulator.faults.delay("feed", 3.0)
    task_id = submit(private_emulator)
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{private_emulator.base_url}/higgsfield/feed/{task_id}", headers=AUTH, timeout=0.3)
    private_emulator.faults.clear()
    assert get_feed(private_emulator, task_id).status_code == 200


@pytest.mark.parametrize("outcome", ["failed", "nsfw", "canceled"])
def test_terminal_outcomes(private_emulator: EmulatorServer, outcome: str) -> None:
    private_emulator.faults.task_outcome(outcome)
    failing, fine = submit(private_emulator), submit(private_emulator)
    feed = wait_for(private_emulator, failing)
    assert feed["jobs"][0]["status"] == outcome
    assert feed["jobs"][0]["result"] is None
    assert private_emulator.tasks[failing].completed_at is None
    assert wait_for(private_emulator, fine)["jobs"][0]["status"] == "completed"


def test_unknown_status_appears_and_stays(private_emulator: EmulatorServer) -> None:
    private_emulator.faults.task_outcome("postprocessing")
    task_id = submit(private_emulator)
    feed = wait_for(private_emulator, task_id, until={"postprocessing"})
    time.sleep(0.6)
    assert (
        read_feed(private_emulator, task_id)["jobs"][0]["status"]
        == "postprocessing"
        == private_emulator.tasks[task_id].status
    )
    assert feed["jobs"][0]["result"] is None


def test_stalled_task_never_finishes(private_emulator: EmulatorServer) -> None:
    private_emulator.faults.stall_tasks()
    task_id = submit(private_emulator)
    wait_for(private_emulator, task_id, until={"in_progress"})
    deadline = time.monotonic() + 60
    while private_emulator.tasks[task_id].clip is None:  # its clip exists, its status still says in_progress
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.6)
    assert read_feed(private_emulator, task_id)["jobs"][0]["status"] == "in_progress"


def test_several_jobs_per_task_finish_one_after_another(private_emulator: EmulatorServer) -> None:
    private_emulator.faults.jobs_per_task(3)
    private_emulator.faults.task_outcome("failed")
    task_id = submit(private_emulator)
    feed = wait_for(private_emulator, task_id)
    assert [job["status"] for job in feed["jobs"]] == ["completed", "completed", "failed"]
    assert len({job["id"] for job in feed["jobs"]}) == 3
    jobs = private_emulator.tasks[task_id].jobs
    assert jobs[0].finishes_at < jobs[1].finishes_at < jobs[2].finishes_at
    assert private_emulator.tasks[task_id].status == "failed"


def test_finite_credits_refuse_calls_beyond_them(private_emulator: EmulatorServer) -> None:
    private_emulator.faults.credits = 12
    assert post_generate(private_emulator, model="turbo").status_code == 200  # 7 points, 5 left
    refused = post_generate(private_emulator, model="standard")  # 10 points
    assert refused.status_code == 402
    assert refused.json()["detail"] == "insufficient credits: this call costs 10 points, 5 left"
    ads = httpx.post(f"{private_emulator.base_url}/higgsfield/ads", headers=AUTH,
                     json={"product_placement_sample_id": "x", "image": [data_url((9, 9, 9))]})  # fmt: skip
    assert ads.status_code == 402 and "13 points" in ads.json()["detail"]
    assert post_generate(private_emulator, model="lite").status_code == 200
    assert private_emulator.faults.credits == 0
    assert len(private_emulator.tasks) == 2


def test_requests_per_second_limit(private_emulator: EmulatorServer) -> None:
    private_emulator.faults.max_requests_per_second(3)
    answers = [httpx.get(private_emulator.motions_url) for _ in range(6)]
    limited = [a for a in answers if a.status_code == 429]
    assert limited, [a.status_code for a in answers]
    assert int(limited[0].headers["retry-after"]) >= 1
    assert sum(a.status_code == 200 for a in answers) <= 3 * 2  # at most the limit per started second
    private_emulator.faults.max_requests_per_second(None)
    assert all(httpx.get(private_emulator.motions_url).status_code == 200 for _ in range(5))


def test_faults_queue_in_order_and_clear_resets_everything(private_emulator: EmulatorServer) -> None:
    private_emulator.faults.rate_limit("motions", count=1)
    private_emulator.faults.server_error("motions", count=1, status=500)
    assert [httpx.get(private_emulator.motions_url).status_code for _ in range(3)] == [429, 500, 200]
    private_emulator.faults.server_error("motions", count=5)
    private_emulator.faults.credits = 0
    private_emulator.faults.jobs_per_task(2)
    private_emulator.faults.max_requests_per_second(1)
    assert "server_error" in repr(private_emulator.faults)
    private_emulator.faults.clear()
    assert private_emulator.faults.credits is None
    assert [httpx.get(private_emulator.motions_url).status_code for _ in range(3)] == [200, 200, 200]
    assert len(read_feed(private_emulator, submit(private_emulator))["jobs"]) == 1


def test_counters_count_every_request_faulted_ones_included(private_emulator: EmulatorServer) -> None:
    private_emulator.faults.server_error("generate", count=2)
    for _ in range(3):
        post_generate(private_emulator)
    task_id = next(iter(private_emulator.tasks))
    for _ in range(4):
        get_feed(private_emulator, task_id)
    httpx.get(private_emulator.motions_url)
    httpx.post(f"{private_emulator.base_url}/higgsfield/ads", json={}, headers=AUTH)
    assert private_emulator.counters["generate"] == 3
    assert private_emulator.counters["POST /higgsfield/generate"] == 3
    assert private_emulator.counters["feed"] == 4
    assert private_emulator.counters["motions"] == 1
    assert private_emulator.counters["ads"] == 1
    private_emulator.counters.reset()
    assert private_emulator.counters["generate"] == 0


def test_wait_idle_returns_only_once_every_request_has_been_answered(
    private_emulator: EmulatorServer,
) -> None:
    private_emulator.faults.delay("motions", 0.8, count=1)
    answered: list[int] = []
    thread = threading.Thread(
        target=lambda: answered.append(httpx.get(private_emulator.motions_url, timeout=30).status_code)
    )
    started = time.monotonic()
    thread.start()
    while private_emulator.counters["motions"] == 0:  # the request has arrived and is being delayed
        time.sleep(0.01)
    private_emulator.wait_idle(timeout=30)
    assert time.monotonic() - started >= 0.8  # it waited for the delayed answer
    thread.join(timeout=30)
    assert answered == [200]


def test_video_links_expire_after_the_set_seconds(private_emulator: EmulatorServer) -> None:
    task_id = submit(private_emulator)
    url = wait_for(private_emulator, task_id)["jobs"][0]["result"]["url"]
    assert private_emulator.faults.link_ttl is None and httpx.get(url).status_code == 200
    completed = private_emulator.tasks[task_id].completed_at
    assert completed is not None
    private_emulator.faults.expire_links(3600)
    assert httpx.get(url).status_code == 200
    # Links of this task die 0.3 s from now: wait for that moment (the emulator's own clock).
    private_emulator.faults.expire_links(time.time() - completed + 0.3)
    expires = completed + (private_emulator.faults.link_ttl or 0)
    while time.time() < expires:
        time.sleep(expires - time.time())
    dead = httpx.get(url)
    assert dead.status_code == 404 and "expired" in dead.json()["detail"]
    # The task itself is still completed, and its feed still names the (dead) link.
    assert read_feed(private_emulator, task_id)["jobs"][0]["result"]["url"] == url
    private_emulator.faults.expire_links(None)
    assert httpx.get(url).status_code == 200
    private_emulator.faults.expire_links(0)
    assert httpx.get(url).status_code == 404
    private_emulator.faults.clear()
    assert httpx.get(url).status_code == 200


def test_link_expiry_is_a_number_of_seconds(private_emulator: EmulatorServer) -> None:
    for bad in (-1, "soon", True, float("nan")):
        with pytest.raises(ValueError, match="after="):
            private_emulator.faults.expire_links(bad)  # type: ignore[arg-type]
    assert private_emulator.faults.link_expired(100.0, 110.0) is False  # never, by default
    private_emulator.faults.expire_links(10)
    assert private_emulator.faults.link_expired(100.0, 109.9) is False
    assert private_emulator.faults.link_expired(100.0, 110.0) is True


def test_link_expiry_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from hfwidgets.emulator import serve
    from hfwidgets.emulator._faults import LINK_TTL_ENV, Faults

    monkeypatch.setenv(LINK_TTL_ENV, "2.5")
    with serve(render=False) as server:
        assert server.faults.link_ttl == 2.5
        server.faults.expire_links(None)
        server.faults.clear()  # back to the environment's default
        assert server.faults.link_ttl == 2.5
    monkeypatch.setenv(LINK_TTL_ENV, "later")
    with pytest.raises(ValueError, match=LINK_TTL_ENV):
        Faults()
