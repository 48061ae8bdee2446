"""The error tree: one module, drawn in its docstring, every error exported, no bare builtins."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import pickle
import re
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import httpx
import pytest

import hfwidgets
from hfwidgets import _errors
from hfwidgets._errors import (
    BlockingCallError,
    EmulatorError,
    HiggsfieldError,
    MalformedResponse,
    MalformedSubmission,
    SubmissionUncertain,
    ValidationError,
)
from hfwidgets._models import Feed

_BRANCH = re.compile(r"^(?P<indent>[ │]*)[├└]── (?P<name>\w+)(?: \(also (?P<also>\w+)\))?")


def error_classes() -> list[type[HiggsfieldError]]:
    found = [getattr(_errors, name) for name in _errors.__all__]
    return [c for c in found if isinstance(c, type) and issubclass(c, HiggsfieldError)]


ERROR_NAMES = sorted(
    name
    for name, value in vars(_errors).items()
    if isinstance(value, type) and issubclass(value, HiggsfieldError) and value.__module__ == _errors.__name__
)
"""Every error class `_errors` defines (its `__all__` holds a few helpers beside them)."""


def drawn_tree() -> tuple[set[tuple[str, str]], dict[str, str]]:
    """(parent, child) edges and "also" builtin bases, as the module docstring draws them."""
    edges: set[tuple[str, str]] = set()
    also: dict[str, str] = {}
    stack = ["HiggsfieldError"]
    for line in (_errors.__doc__ or "").splitlines():
        match = _BRANCH.match(line.strip("\n")[4:])
        if match is None:
            continue
        depth = len(match["indent"]) // 4 + 1
        del stack[depth:]
        edges.add((stack[depth - 1], match["name"]))
        stack.append(match["name"])
        if match["also"]:
            also[match["name"]] = match["also"]
    return edges, also


def test_the_docstring_draws_the_real_tree() -> None:
    edges, also = drawn_tree()
    real_edges = {
        (base.__name__, cls.__name__)
        for cls in error_classes()
        for base in cls.__bases__
        if issubclass(base, HiggsfieldError)
    }
    assert edges == real_edges
    real_also = {
        cls.__name__: base.__name__
        for cls in error_classes()
        for base in cls.__bases__
        if not issubclass(base, HiggsfieldError) and base is not Exception
    }
    assert also == real_also


def test_every_error_is_defined_in_errors_and_exported() -> None:
    classes = error_classes()
    assert {c.__name__ for c in classes} == set(ERROR_NAMES)
    for cls in classes:
        assert cls.__module__ == "hfwidgets._errors"
        assert getattr(hfwidgets, cls.__name__) is cls
        assert cls.__name__ in hfwidgets.__all__


def test_no_other_module_defines_a_higgsfield_error() -> None:
    import hfwidgets.emulator
    import hfwidgets.widgets  # noqa: F401

    def subclasses(cls: type) -> set[type]:
        direct: set[type] = set(cls.__subclasses__())
        return direct.union(*(subclasses(c) for c in direct))

    strays = {
        c.__qualname__
        for c in subclasses(HiggsfieldError)
        if c.__module__.startswith("hfwidgets") and c.__module__ != "hfwidgets._errors"
    }
    assert strays == set()


def test_a_bad_poll_policy_names_its_field() -> None:
    with pytest.raises(ValidationError) as caught:
        hfwidgets.PollPolicy(backoff=0.5)
    assert caught.value.field == "backoff"
    assert ">= 1" in str(caught.value)


def test_a_bad_fault_knob_names_its_field() -> None:
    from hfwidgets.emulator import Faults

    with pytest.raises(ValidationError) as caught:
        Faults().rate_limit("nowhere")
    assert caught.value.field == "endpoint"
    with pytest.raises(ValidationError) as caught:
        Faults().set_credits(-1)
    assert caught.value.field == "points"


def test_an_emulator_that_is_not_running_says_so() -> None:
    from hfwidgets.emulator import EmulatorServer

    server = EmulatorServer(render=False)
    with pytest.raises(EmulatorError, match="not started"):
        _ = server.base_url
    server.stop()
    with pytest.raises(EmulatorError, match="was stopped"):
        server.start()


def test_run_called_from_its_own_loop_thread_is_refused() -> None:
    from hfwidgets import _sync

    async def inside() -> None:
        hfwidgets.run("https://example.test/a.jpg", "Face Punch", progress=False)

    future = asyncio.run_coroutine_threadsafe(inside(), _sync._runner.loop())
    with pytest.raises(BlockingCallError, match="not from a callback"):
        future.result(timeout=30)


async def test_a_billable_post_answered_without_an_id_is_a_malformed_submission() -> None:
    def api(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"status": "ok"})

    client = hfwidgets.Client(
        "hk-unit-secret-abcdef0123",
        "https://api.example.test",
        transport=httpx.MockTransport(api),
        journal=False,
    )
    request = hfwidgets.GenerateRequest(
        "https://images.example.test/cat.png", "Face Punch", width=736, height=1312
    )
    with pytest.raises(MalformedSubmission) as caught:
        await client.generate(request)
    assert isinstance(caught.value, SubmissionUncertain) and isinstance(caught.value, MalformedResponse)
    assert client.uncertain == client.price("lite") and client.spent == 0
    assert "hk-unit-secret" not in str(caught.value) + json.dumps(caught.value.body)
    await client.aclose()


# --------------------------------------------------------------------------- crossing processes


def _feed(status: str) -> Feed:
    return Feed.from_json({"id": "t-pickled", "jobs": [{"id": "j1", "status": status}]})


def sample_error(name: str) -> HiggsfieldError:
    """One instance of the exported error `name`, with every attribute set to a telling value."""

    def api(cls: type[hfwidgets.APIError], message: str, status: int | None = 502) -> hfwidgets.APIError:
        return cls(
            message, status=status, body="<html>bad gateway</html>", task_id="t-pickled", endpoint="GET feed"
        )

    samples: dict[str, Callable[[], HiggsfieldError]] = {
        "HiggsfieldError": lambda: HiggsfieldError("something went wrong"),
        "ValidationError": lambda: ValidationError("seed", 3.5, "an int", hint="drop the fraction"),
        "ImageSizeUnknown": lambda: hfwidgets.ImageSizeUnknown(
            "https://x.example/a.jpg", "it answered HTTP 404"
        ),
        "MissingKeyError": lambda: hfwidgets.MissingKeyError(emulator_installed=False),
        "MissingExtra": lambda: hfwidgets.MissingExtra("analysis", "History.to_dataframe()", "pandas"),
        "BudgetExceeded": lambda: hfwidgets.BudgetExceeded(10, 25, 30),
        "APIError": lambda: api(hfwidgets.APIError, "upstream went away"),
        "AuthError": lambda: api(hfwidgets.AuthError, "invalid api key", 401),
        "InsufficientCredits": lambda: api(hfwidgets.InsufficientCredits, "用户额度不足", 402),
        "RateLimited": lambda: hfwidgets.RateLimited(
            "slow down", retry_after=7.5, status=429, task_id="t-pickled"
        ),
        "NetworkError": lambda: api(hfwidgets.NetworkError, "network error (ConnectError)", None),
        "DownloadTimeout": lambda: hfwidgets.DownloadTimeout("download took over 300 s", task_id="t-pickled"),
        "LimitExceeded": lambda: hfwidgets.LimitExceeded(
            "the video is over 256 MB", limit=256, task_id="t-pickled"
        ),
        "MalformedResponse": lambda: api(MalformedResponse, "feed has no jobs", 200),
        "MalformedSubmission": lambda: MalformedSubmission("no task id", endpoint="POST generate"),
        "SubmissionUncertain": lambda: SubmissionUncertain("connection dropped", endpoint="POST generate"),
        "TaskFailed": lambda: hfwidgets.TaskFailed(_feed("nsfw")),
        "TaskTimeout": lambda: hfwidgets.TaskTimeout("t-pickled", 600, "in_progress"),
        "JournalError": lambda: hfwidgets.JournalError("cannot write", path=Path("/tmp/j.sqlite3")),
        "NoEventLoop": hfwidgets.NoEventLoop,
        "BlockingCallError": BlockingCallError,
        "EmulatorError": lambda: EmulatorError("the emulator was stopped"),
    }
    return samples[name]()


def exported_error_names() -> list[str]:
    return [
        name
        for name in hfwidgets.__all__
        if isinstance(getattr(hfwidgets, name), type) and issubclass(getattr(hfwidgets, name), BaseException)
    ]


def assert_same_error(got: BaseException, expected: BaseException) -> None:
    assert type(got) is type(expected)
    assert got.args == expected.args and str(got) == str(expected)
    assert vars(got) == vars(expected)
    if isinstance(expected, ImportError):
        assert isinstance(got, ImportError) and (got.name, got.path) == (expected.name, expected.path)


def test_every_exported_error_has_a_sample() -> None:
    names = exported_error_names()
    assert set(names) == set(ERROR_NAMES)
    for name in names:
        assert type(sample_error(name)).__name__ == name


@pytest.mark.parametrize("name", ERROR_NAMES)
def test_every_error_pickles_to_an_equal_error(name: str) -> None:
    error = sample_error(name)
    assert_same_error(pickle.loads(pickle.dumps(error)), error)


def raise_sample(name: str) -> None:
    """Run in a worker process: raise the sample error `name` there."""
    raise sample_error(name)


@pytest.mark.timeout(120)
def test_every_error_raised_in_a_worker_process_arrives_intact() -> None:
    names = ERROR_NAMES
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing shared but the pickle
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        futures = {name: pool.submit(raise_sample, name) for name in names}
        for name, future in futures.items():
            error = future.exception(timeout=90)
            assert error is not None, name
            assert_same_error(error, sample_error(name))
    timeout = futures["TaskTimeout"].exception()
    assert isinstance(timeout, hfwidgets.TaskTimeout) and timeout.task_id == "t-pickled"
    failed = futures["TaskFailed"].exception()
    assert isinstance(failed, hfwidgets.TaskFailed) and failed.feed == _feed("nsfw")
