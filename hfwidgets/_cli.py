"""The command line: `hfwidgets` (also `python -m hfwidgets`), built on click.

Every command goes through the core (`Client`, the journal); none speaks HTTP
itself. Results go to stdout (`--json` for piping), progress and messages to
stderr. A billable request is sent at most once: on any error nothing is
resubmitted, and Ctrl-C leaves an accepted task in the journal for `resume`.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import json
import logging
import os
import shlex
import sys
import time
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from . import __version__
from ._errors import (
    APIError,
    BudgetExceeded,
    HiggsfieldError,
    ImageSizeUnknown,
    MissingExtra,
    MissingKeyError,
    NetworkError,
    SubmissionUncertain,
    TaskFailed,
    TaskTimeout,
    ValidationError,
)
from ._models import SIZE_PRESETS
from ._options import ADS_OPTIONS, GENERATE_OPTIONS, RequestOption

if TYPE_CHECKING:
    from ._client import Client
    from ._eta import Estimate
    from ._journal import TaskRecord
    from ._models import Feed, Motion, Task
    from ._requests import AdsRequest, GenerateRequest

__all__ = [
    "EXIT_DONE",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_NETWORK",
    "EXIT_TIMEOUT",
    "EXIT_UNCERTAIN",
    "EXIT_USAGE",
    "cli",
    "emulator_main",
    "main",
]

T = TypeVar("T")

EXIT_DONE = 0
"""The command did what it was asked (the task completed)."""
EXIT_FAILED = 1
"""The task failed (failed, nsfw, canceled), or the service refused or broke the request."""
EXIT_USAGE = 2
"""Bad arguments or setup (a field's value, the budget, a missing key or extra): nothing was sent."""
EXIT_TIMEOUT = 3
"""The task was not finished by --timeout; it continues on the server (`wait ID` picks it up)."""
EXIT_UNCERTAIN = 4
"""A submission may have reached the service without an answer; it was NOT resent."""
EXIT_NETWORK = 5
"""No answer arrived (connection refused or dropped, too slow); a submission was not sent."""
EXIT_INTERRUPTED = 130
"""Ctrl-C: an accepted task stays in the journal (`resume` picks it up)."""

EXIT_CODES_HELP = """\b
Exit codes:
  0  done
  1  the task failed, or the service refused the request
  2  usage: bad arguments, budget, missing key or extra (nothing sent)
  3  timeout: the task continues on the server (hfwidgets wait ID)
  4  uncertain submission: it may have been charged; never resent
  5  network: no answer arrived (connection refused or dropped, too slow)
  130  interrupted (Ctrl-C); accepted tasks stay in the journal (hfwidgets resume)
"""

logger = logging.getLogger("hfwidgets")


# --------------------------------------------------------------------------- output helpers


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, bytes):
        return None
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _print_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, default=_json_default, ensure_ascii=False))


def _say(message: str) -> None:
    """A message for the person at the terminal (stderr), never part of the output."""
    click.echo(message, err=True)


def _task_json(task: Task) -> dict[str, Any]:
    """Every field of the Task, the motion as its id and name."""
    row = {item.name: getattr(task, item.name) for item in dataclasses.fields(task)}
    motion = row.pop("motion")
    row["motion_id"], row["motion"] = (motion.id, motion.name) if motion else (None, None)
    return row


def _feed_json(feed: Feed) -> dict[str, Any]:
    """The feed as the service answered it, plus the overall status hfwidgets derived."""
    return {**feed.raw, "status": feed.status, "video_url": feed.video_url}


def _describe_task(task: Task) -> str:
    if task.kind == "ads":
        return f"task {task.id} (ad, template {task.template_id}, {task.cost} points)"
    motion = task.motion.name if task.motion else "?"
    return f"task {task.id} ({task.model}, {motion!r}, seed {task.seed}, {task.cost} points)"


_WAITING_BAR = "{desc}{postfix} {percentage:3.0f}%|{bar:20}| [{elapsed}]"
_ENDED_BAR = "{desc}{postfix} [{elapsed}]"


class _Progress:
    """Waiting status on stderr: a tqdm bar on a terminal, one line per status change otherwise.

    With an estimate (`Client.estimate`, given for a task submitted here) the bar counts
    seconds against the estimated duration and says "about N s left" (or "taking longer than
    usual"); the lines say how long such a task usually takes and, at each change, what is left.
    """

    def __init__(self, *, quiet: bool) -> None:
        self.quiet = quiet
        self.task_id: str | None = None
        self._bar: Any = None
        self._status: str | None = None
        self._estimate: Estimate | None = None
        self._submitted = 0.0

    def start(self, task_id: str, estimate: Estimate | None = None, submitted: float | None = None) -> None:
        """Show task `task_id` waiting; `estimate` and `submitted` (a `time.time()`) when known."""
        self.task_id = task_id
        self._estimate = estimate
        self._submitted = time.time() if submitted is None else submitted
        if self.quiet:
            return
        if not sys.stderr.isatty():
            if estimate is not None:
                _say(f"task {task_id}: {estimate.usually()}")
            return
        from tqdm import tqdm

        self._bar = tqdm(
            total=None if estimate is None else max(1, round(estimate.median)),
            desc=f"task {task_id}",
            bar_format=_WAITING_BAR if estimate is not None else _ENDED_BAR,
            file=sys.stderr,
        )

    def _eta(self) -> str:
        if self._estimate is None or self._status not in (None, "queued", "in_progress"):
            return ""
        return f" · {self._estimate.describe(max(0.0, time.time() - self._submitted))}"

    def tick(self) -> None:
        """Refresh the bar: the estimate is corrected as time passes."""
        if self._bar is None:
            return
        if self._estimate is not None and self._status in (None, "queued", "in_progress"):
            elapsed = max(0.0, time.time() - self._submitted)
            self._bar.total = max(1, round(self._estimate.total(elapsed)))
            self._bar.n = min(round(elapsed), self._bar.total)
        self._bar.set_postfix_str(f"{self._status or 'queued'}{self._eta()}")

    def update(self, feed: Feed) -> None:
        changed = feed.status != self._status
        self._status = feed.status
        if self._bar is not None:
            if feed.done:  # the end: the bar gives way to the outcome
                self._bar.n = self._bar.total or 0
                self._bar.bar_format = _ENDED_BAR
            self.tick()
        elif not self.quiet and changed:
            _say(f"task {feed.id}: {feed.status}{self._eta()}")

    async def follow(self, client: Client, task: Task, *, timeout: float) -> Feed:
        """`client.wait(task)` with this progress, refreshed twice a second."""
        key = "ads" if task.kind == "ads" else task.model or "lite"
        self.start(task.id, client.estimate(key), task.created_at.timestamp())

        async def ticker() -> None:
            while True:
                self.tick()
                await asyncio.sleep(0.5)

        ticking = asyncio.get_running_loop().create_task(ticker())
        try:
            return await client.wait(task, timeout=timeout, on_update=self.update)
        finally:
            ticking.cancel()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


# --------------------------------------------------------------------------- errors and exit codes


def _fail(message: str, code: int) -> NoReturn:
    _say(f"hfwidgets: {message}")
    sys.exit(code)


def _wait_command(task_id: str) -> str:
    return f"hfwidgets wait {shlex.quote(task_id)}"


def _download_command(out: str | None, variant: str = "raw") -> Callable[[str], str]:
    """The command that waits for a task and saves its video where this command would have."""

    def command(task_id: str) -> str:
        words = ["hfwidgets", "download", task_id]
        if out is not None:
            words += ["--out", out]
        if variant != "raw":
            words += ["--variant", variant]
        return " ".join(shlex.quote(word) for word in words)

    return command


@contextmanager
def _outcomes(
    progress: _Progress | None = None,
    *,
    json_output: bool = False,
    picked_up_by: Callable[[str], str] = _wait_command,
    interrupted: str | None = None,
) -> Iterator[None]:
    """Turn the core's errors into a message on stderr and the documented exit code.

    `picked_up_by(task_id)` is the command that takes over a task this one stopped waiting
    for (timeout, Ctrl-C); `interrupted` replaces the whole Ctrl-C message.
    """
    try:
        yield
    except TaskFailed as error:
        if json_output:
            _print_json(_feed_json(error.feed))
        _fail(str(error), EXIT_FAILED)
    except TaskTimeout as error:
        seen = f", last status {error.last_status!r}" if error.last_status else ""
        _fail(
            f"task {error.task_id} not finished after {error.timeout:g} s{seen}; it continues on the "
            f"server: `{picked_up_by(error.task_id)}` picks it up",
            EXIT_TIMEOUT,
        )
    except SubmissionUncertain as error:
        _fail(
            f"{error}\nThe submission may have been charged and was NOT resent: check `hfwidgets history` "
            "or the provider's dashboard before trying again.",
            EXIT_UNCERTAIN,
        )
    except ImageSizeUnknown as error:
        _fail(f"{error.problem()}; pass --size ({_SIZE_HELP})", EXIT_USAGE)
    except (ValidationError, BudgetExceeded, MissingKeyError, MissingExtra) as error:
        _fail(str(error), EXIT_USAGE)
    except NetworkError as error:
        _fail(str(error), EXIT_NETWORK)
    except HiggsfieldError as error:
        _fail(str(error), EXIT_FAILED)
    except KeyboardInterrupt:
        task_id = progress.task_id if progress is not None else None
        if interrupted is not None:
            message = interrupted
        elif task_id:
            message = (
                f"interrupted; task {task_id} continues on the server and is in the journal: "
                f"`{picked_up_by(task_id)}` picks it up"
            )
        else:
            message = (
                "interrupted before the service confirmed a task; a submission already sent is journalled "
                "as uncertain and is never resent: see `hfwidgets history`"
            )
        _fail(message, EXIT_INTERRUPTED)
    finally:
        if progress is not None:
            progress.close()


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a command's coroutine; on Ctrl-C it is cancelled (its `async with` blocks close)."""
    return asyncio.run(coroutine)


def _client(budget: int | None = None) -> Client:
    """The client every command uses: the configured service, or the home's emulator without a key."""
    from ._client import Client

    return Client(budget=budget)


# --------------------------------------------------------------------------- the command group


@click.group(epilog=EXIT_CODES_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="hfwidgets")
@click.option("-v", "--verbose", is_flag=True, help="Log what the client does (requests, retries) to stderr.")
def cli(verbose: bool) -> None:
    """Make videos from images with the Higgsfield video API.

    The key comes from OPENAI_HK_API_KEY (the base URL from OPENAI_HK_BASE_URL).
    With neither set, every command uses the local emulator of HFWIDGETS_HOME,
    one background process shared by all of them (pip install
    "hfwidgets[emulator]"); its videos are synthetic.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    logger.propagate = False


def _json_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "json_output", is_flag=True, help="Print JSON on stdout (for piping).")(
        function
    )


def _timeout_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=600.0,
        show_default=True,
        help="Seconds to wait for the task before exiting with code 3 (the task continues).",
    )(function)


def _budget_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--budget",
        type=click.IntRange(min=0),
        default=None,
        help="Refuse, before sending, a submission costing more points than this.",
    )(function)


def _out_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "-o",
        "--out",
        type=click.Path(dir_okay=True),
        default=None,
        help="Where to save the mp4 (missing folders are created, and named on stderr).",
    )(function)


def _quiet_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")(function)


def _request_options(declared: tuple[RequestOption, ...]) -> list[Callable[[Callable[..., Any]], Any]]:
    """A click option for each declared request option (`_options`), under the option's own name."""
    made: list[Callable[[Callable[..., Any]], Any]] = []
    for option in declared:
        settings: dict[str, Any] = {"help": option.help}
        if option.required:
            settings["required"] = True
        elif option.trait == "bool":
            settings.update(default=option.default, show_default=True)
        elif option.choices:
            settings.update(type=click.Choice(option.choices), default=option.default, show_default=True)
        else:
            settings.update(type=int if option.trait == "int" else str, default=option.default)
            settings["show_default"] = option.default not in (None, "")
        made.append(click.option(*option.flags, option.name, **settings))
    return made


_SIZE_HELP = f"WxH such as 736x1312, or an aspect ratio: {', '.join(SIZE_PRESETS)}"


def _generate_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """The options of `run` and `submit`: what to generate (every option of a GenerateRequest)."""
    options: list[Callable[[Callable[..., Any]], Callable[..., Any]]] = [
        click.argument("images", nargs=-1, required=True, metavar="IMAGE..."),
        *_request_options(GENERATE_OPTIONS),
        click.option(
            "--size",
            "video_size",
            default=None,
            help=f"Video size instead of --width and --height: {_SIZE_HELP}; by default the preset "
            "closest to the image's.",
        ),
        _budget_option,
        _json_option,
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _ads_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """The options of `ads`: every option of an AdsRequest."""
    for option in reversed(_request_options(ADS_OPTIONS)):
        function = option(function)
    return function


def _video_size(size: str | None) -> tuple[int | None, int | None]:
    if size is None:
        return None, None
    if size in SIZE_PRESETS:
        return SIZE_PRESETS[size]
    from ._requests import parse_size

    try:
        return parse_size(size)
    except ValidationError as error:
        if ":" in size or "x" not in size.lower():
            raise ValidationError("--size", size, _SIZE_HELP) from None
        raise ValidationError("--size", size, error.allowed) from None


def _image_argument(images: Sequence[str]) -> Any:
    """One image as itself, two (first and last frame) as a list; the core checks the rest."""
    return images[0] if len(images) == 1 else list(images)


def _generate_request(images: Sequence[str], options: dict[str, Any]) -> GenerateRequest:
    """The validated request: a bad value exits with code 2 before anything starts or is sent."""
    from ._requests import GenerateRequest

    values = {option.name: options[option.name] for option in GENERATE_OPTIONS}
    if options["video_size"] is not None:
        if values["width"] is not None or values["height"] is not None:
            raise ValidationError("size", options["video_size"], "--size, or --width and --height, not both")
        values["width"], values["height"] = _video_size(options["video_size"])
    return GenerateRequest(_image_argument(images), **values)


async def _follow(
    client: Client, task: Task, progress: _Progress, *, timeout: float, out: str | None
) -> tuple[Feed, Path]:
    """After a submission: say what was accepted, wait with progress, download the video."""
    if not progress.quiet:
        _say(f"submitted {_describe_task(task)}")
    feed = await progress.follow(client, task, timeout=timeout)
    progress.close()
    return feed, await _save(feed, out)


def _missing_folder(out: str | None) -> Path | None:
    """The outermost folder that --out names and that does not exist yet (None: nothing to create)."""
    if out is None:
        return None
    folder = Path(out) if out.endswith(("/", os.sep)) else Path(out).parent
    missing = None
    while not folder.exists() and folder != folder.parent:
        missing, folder = folder, folder.parent
    return missing


async def _save(feed: Feed, out: str | None, variant: str = "raw") -> Path:
    """Download the mp4 to --out; say so when that created folders."""
    missing = _missing_folder(out)
    path = (await feed.adownload(out, variant=variant)).resolve()
    if missing is not None and missing.is_dir():
        _say(f"created folder {missing}")
    return path


def _print_result(task: Task, feed: Feed, path: Path, *, json_output: bool) -> None:
    if json_output:
        _print_json({"task": _task_json(task), "feed": _feed_json(feed), "file": str(path)})
    else:
        click.echo(str(path))


# --------------------------------------------------------------------------- submitting


@cli.command(epilog=EXIT_CODES_HELP)
@_generate_options
@_out_option
@_timeout_option
@_quiet_option
def run(images: tuple[str, ...], out: str | None, timeout: float, quiet: bool, **options: Any) -> None:
    """Make a video: submit, wait (progress on stderr), download; print the file's path.

    IMAGE is a file or an http(s) URL; give two for the first and last frame.
    The mp4 goes to --out (default ./TASK_ID.mp4).
    """
    progress = _Progress(quiet=quiet)

    async def go(request: GenerateRequest) -> tuple[Task, Feed, Path]:
        async with _client(options["budget"]) as client:
            task = await client.generate(request)
            return task, *await _follow(client, task, progress, timeout=timeout, out=out)

    with _outcomes(progress, json_output=options["json_output"], picked_up_by=_download_command(out)):
        task, feed, path = _run(go(_generate_request(images, options)))
    _print_result(task, feed, path, json_output=options["json_output"])


@cli.command(epilog=EXIT_CODES_HELP)
@_generate_options
def submit(images: tuple[str, ...], **options: Any) -> None:
    """Submit a video task and print its id (nothing else); `wait ID` or `download ID` follows it."""

    async def go(request: GenerateRequest) -> Task:
        async with _client(options["budget"]) as client:
            return await client.generate(request)

    with _outcomes():
        task = _run(go(_generate_request(images, options)))
    if options["json_output"]:
        _print_json(_task_json(task))
    else:
        click.echo(task.id)


@cli.command(epilog=EXIT_CODES_HELP)
@click.argument("images", nargs=-1, required=True, metavar="IMAGE...")
@_ads_options
@_out_option
@click.option("--no-wait", is_flag=True, help="Print the task id once accepted, like `submit`.")
@_budget_option
@_timeout_option
@_json_option
@_quiet_option
def ads(
    images: tuple[str, ...],
    out: str | None,
    no_wait: bool,
    budget: int | None,
    timeout: float,
    json_output: bool,
    quiet: bool,
    **options: Any,
) -> None:
    """Make an ad from product images (1 to 4) and an ad template: submit, wait, download."""
    progress = _Progress(quiet=quiet)

    async def go(request: AdsRequest) -> tuple[Task, Feed | None, Path | None]:
        async with _client(budget) as client:
            task = await client.ads(request)
            if no_wait:
                return task, None, None
            return task, *await _follow(client, task, progress, timeout=timeout, out=out)

    from ._requests import AdsRequest

    with _outcomes(progress, json_output=json_output, picked_up_by=_download_command(out)):
        values = {option.name: options[option.name] for option in ADS_OPTIONS}
        task, feed, path = _run(go(AdsRequest(_image_argument(images), **values)))
    if feed is None or path is None:
        _print_json(_task_json(task)) if json_output else click.echo(task.id)
    else:
        _print_result(task, feed, path, json_output=json_output)


# --------------------------------------------------------------------------- following tasks


@cli.command(epilog=EXIT_CODES_HELP)
@click.argument("task_id", metavar="ID")
@_timeout_option
@_json_option
@_quiet_option
def wait(task_id: str, timeout: float, json_output: bool, quiet: bool) -> None:
    """Wait for a task to finish; print its video URL (or its feed with --json)."""
    progress = _Progress(quiet=quiet)

    async def go() -> Feed:
        async with _client() as client:
            progress.start(task_id)
            return await client.wait(task_id, timeout=timeout, on_update=progress.update)

    with _outcomes(progress, json_output=json_output):
        feed = _run(go())
    if json_output:
        _print_json(_feed_json(feed))
    else:
        click.echo(feed.video_url or "")


@cli.command()
@click.argument("task_id", metavar="ID")
def feed(task_id: str) -> None:
    """Print a task's current state as JSON (one request, no waiting)."""

    async def go() -> Feed:
        async with _client() as client:
            return await client.feed(task_id)

    with _outcomes():
        current = _run(go())
    _print_json(_feed_json(current))


@cli.command(epilog=EXIT_CODES_HELP)
@click.argument("task_id", metavar="ID")
@_out_option
@click.option(
    "--variant",
    type=click.Choice(["raw", "min"]),
    default="raw",
    show_default=True,
    help="raw: the full video; min: the reduced one.",
)
@_timeout_option
@_json_option
@_quiet_option
def download(
    task_id: str, out: str | None, variant: str, timeout: float, json_output: bool, quiet: bool
) -> None:
    """Wait for a task if needed, save its mp4 and print the file's path.

    When the video's link is dead (403, 404, 410, unreachable), the copy kept on this
    machine is saved instead; a task the service no longer knows is saved from the journal.
    """
    progress = _Progress(quiet=quiet)

    async def go() -> tuple[Feed, Path]:
        async with _client() as client:
            progress.start(task_id)
            try:
                finished = await client.wait(task_id, timeout=timeout, on_update=progress.update)
            except APIError as error:
                finished = _journalled_result(task_id, error)
            progress.close()
            return finished, await _save(finished, out, variant)

    with _outcomes(progress, json_output=json_output, picked_up_by=_download_command(out, variant)):
        finished, path = _run(go())
    if json_output:
        _print_json({"feed": _feed_json(finished), "file": str(path)})
    else:
        click.echo(str(path))


def _journalled_result(task_id: str, error: APIError) -> Feed:
    """The result the journal recorded for a completed task the service no longer answers for
    (404, 410, unreachable); else `error` is raised again."""
    from ._journal import Journal
    from ._keep import is_dead_link
    from ._models import Feed

    record = Journal().get(task_id.strip())
    if not is_dead_link(error) or record is None or record.status != "completed" or not record.video_url:
        raise error
    _say(f"hfwidgets: the service does not answer for task {record.id} ({error.message}); using the journal")
    job = {"status": "completed", "result": {"type": "video", "url": record.video_url}}
    return Feed.from_json({"id": record.id, "jobs": [job]})


@cli.command(epilog=EXIT_CODES_HELP)
@_timeout_option
@_json_option
@_quiet_option
def resume(timeout: float, json_output: bool, quiet: bool) -> None:
    """Wait for every unfinished task in the journal (on this base URL); print each result.

    Exits 0 when all completed, 1 when one failed, 3 when one is still running.
    """
    from ._session import nothing_to_resume

    progress = _Progress(quiet=quiet)
    if nothing_to_resume():
        if not quiet:
            _say("nothing to resume: the journal holds no unfinished task")
        if json_output:
            _print_json([])
        return

    async def go() -> list[Feed]:
        async with _client() as client:
            journal = client.journal
            pending = journal.pending(client.base_url) if journal is not None else []
            if not quiet:
                _say(f"resuming {len(pending)} unfinished task(s) on {client.base_url}")
            return await client.resume(timeout=timeout, on_update=progress.update)

    stopped = (
        "interrupted; the unfinished tasks continue on the server and stay in the journal: "
        "`hfwidgets resume` waits for them again"
    )
    with _outcomes(progress, interrupted=stopped):
        feeds = _run(go())
    if json_output:
        _print_json([_feed_json(one) for one in feeds])
    else:
        for one in feeds:
            click.echo(f"{one.id}\t{one.status}\t{one.video_url or ''}")
    if any(one.status in ("failed", "nsfw", "canceled") for one in feeds):
        sys.exit(EXIT_FAILED)
    if any(not one.done for one in feeds):
        sys.exit(EXIT_TIMEOUT)


# --------------------------------------------------------------------------- catalogue and journal


@cli.command()
@click.option("-s", "--search", default=None, help="Part of a motion's name (case-insensitive).")
@click.option("-c", "--category", default=None, help="Only motions in this category.")
@click.option("-t", "--tag", default=None, help="Only motions with this tag (e.g. mix).")
@click.option("--live", is_flag=True, help="Ask the service's listing instead of the bundled catalogue.")
@_json_option
def motions(search: str | None, category: str | None, tag: str | None, live: bool, json_output: bool) -> None:
    """List motion templates: name, id and categories (tab-separated)."""
    from ._catalog import filter_motions
    from ._catalog import motions as bundled

    if live:

        async def go() -> list[Motion]:
            async with _client() as client:
                return await client.fetch_motions(search)

        with _outcomes():
            found = filter_motions(_run(go()), search, category, tag)
    else:
        found = bundled(search, category, tag)
    if json_output:
        _print_json([motion.to_json() for motion in found])
        return
    for motion in found:
        click.echo(f"{motion.name}\t{motion.id}\t{','.join(motion.categories)}")


@cli.command()
@click.option("--json", "json_output", is_flag=True, help="Every field of every task, as a JSON list.")
@click.option("--csv", "csv_output", is_flag=True, help="One CSV row per task, with a header.")
@click.option("-n", "--limit", type=click.IntRange(min=1), default=None, help="Only the newest N tasks.")
def history(json_output: bool, csv_output: bool, limit: int | None) -> None:
    """Every task journalled on this machine, newest first (tab-separated by default).

    Columns: created, id, model, motion, status, cost, kept (the video is kept on this
    machine: "kept", or "pinned"; see `hfwidgets keep`), video URL.
    """
    if json_output and csv_output:
        raise click.UsageError("--json and --csv exclude each other")
    from ._journal import TaskRecord
    from ._journal import history as journal_history

    with _outcomes():
        records: list[TaskRecord] = list(journal_history())
    if limit is not None:
        records = records[:limit]
    rows = [record.to_dict() for record in records]
    if json_output:
        _print_json(rows)
    elif csv_output:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else _record_fields(TaskRecord))
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {key: _json_default(v) if isinstance(v, datetime) else v for key, v in row.items()}
            )
    else:
        for record in records:
            what = record.template_id if record.kind == "ads" else record.motion_name
            click.echo(
                "\t".join(
                    str(value)
                    for value in (
                        record.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                        record.id,
                        record.model or record.kind,
                        what or "",
                        record.status,
                        record.cost,
                        _kept_label(record),
                        record.video_url or "",
                    )
                )
            )


def _record_fields(record_type: type[TaskRecord]) -> list[str]:
    """The keys of `TaskRecord.to_dict()`: every field but the thumbnail."""
    return [item.name for item in dataclasses.fields(record_type) if item.name != "thumbnail"]


@cli.command()
@click.argument("task_ids", nargs=-1, required=True, metavar="ID...")
def forget(task_ids: tuple[str, ...]) -> None:
    """Give up on tasks that can never finish: mark them "abandoned" in the journal.

    They stay in `history`, and `resume` never waits on them again. A finished task is
    left as it is. Prints each id and its status; exits 1 when an id is not in the journal.
    """
    from ._journal import ABANDONED, Journal

    journal = Journal()
    missing = False
    with _outcomes():
        for task_id in task_ids:
            try:
                record = journal.forget(task_id)
            except ValidationError:
                _say(f"hfwidgets: no task {task_id} in the journal {journal.path} (see `hfwidgets history`)")
                missing = True
                continue
            click.echo(f"{record.id}\t{record.status}")
            if record.status != ABANDONED:
                _say(f"task {record.id} is already {record.status}: left as it is")
    if missing:
        sys.exit(EXIT_FAILED)


def _kept_label(record: TaskRecord) -> str:
    if record.video_path is None:
        return "-"
    return "pinned" if record.pinned else "kept"


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


@cli.command()
@click.option(
    "--pin", "pin_ids", multiple=True, metavar="ID", help="Never remove this task's video (repeatable)."
)
@click.option("--unpin", "unpin_ids", multiple=True, metavar="ID", help="Let the size cap remove it again.")
@_json_option
def keep(pin_ids: tuple[str, ...], unpin_ids: tuple[str, ...], json_output: bool) -> None:
    """The videos kept on this machine (oldest first), their total size and the cap; pin or unpin some.

    Every finished video is kept under the hfwidgets home (HFWIDGETS_KEEP_VIDEOS=0 keeps
    none). Past the cap (HFWIDGETS_KEEP_MAX_BYTES, 2G by default) the oldest are removed
    first, never a pinned one.
    """
    from ._journal import Journal
    from ._keep import max_kept_bytes

    journal = Journal()
    with _outcomes():
        for task_id in pin_ids:
            journal.pin(task_id, True)
        for task_id in unpin_ids:
            journal.pin(task_id, False)
        kept = journal.kept_videos()
        cap = max_kept_bytes()
    if json_output:
        rows = [{**dataclasses.asdict(video), "exists": video.exists} for video in kept]
        _print_json({"videos": rows, "bytes": sum(v.size for v in kept), "max_bytes": cap})
        return
    for video in kept:
        state = "pinned" if video.pinned else "kept" if video.exists else "removed"
        when = video.kept_at.strftime("%Y-%m-%d %H:%M:%S")
        click.echo(f"{video.task_id}\t{state}\t{_megabytes(video.size)}\t{when}\t{video.path}")
    total = sum(video.size for video in {v.sha256: v for v in kept}.values())
    _say(f"{len(kept)} kept videos, {_megabytes(total)} of {_megabytes(cap)} in {journal.videos_dir}")


@cli.command()
@click.argument("out", metavar="OUT.zip", type=click.Path(dir_okay=False))
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M"]),
    default=None,
    help="Only tasks submitted on or after this date (UTC), e.g. 2026-12-01.",
)
@click.option("--status", default=None, help="Only tasks with this status, e.g. completed.")
def export(out: str, since: datetime | None, status: str | None) -> None:
    """Write a zip of the journalled tasks: their kept videos, manifest.json and an index.html
    that reads offline; print its path. Tasks whose video is not kept are listed with their link."""
    from ._export import select_records
    from ._journal import History
    from ._journal import history as journal_history

    with _outcomes():
        chosen = History(select_records(journal_history(), since=since, status=status))
        path = chosen.export(out)
    kept = sum(1 for record in chosen if record.video_path is not None)
    _say(f"exported {len(chosen)} tasks, {kept} with their video")
    click.echo(str(path.resolve()))


# --------------------------------------------------------------------------- the emulator


@cli.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.argument("arguments", nargs=-1, type=click.UNPROCESSED)
def emulator(arguments: tuple[str, ...]) -> None:
    """The local emulator: `emulator status`, `emulator stop`, or serve one in the foreground
    (--help for its options).

    With no key, commands use the emulator of HFWIDGETS_HOME, started in the background on
    first use and shared by every process using that home: `status` says whether it runs
    (and what it has served), `stop` stops it (its tasks stay in the home).
    """
    if arguments[:1] == ("stop",) and len(arguments) == 1:
        from ._home_emulator import stop_emulator

        _say("stopped the local emulator" if stop_emulator() else "the local emulator was not running")
        return
    if arguments[:1] == ("status",) and len(arguments) == 1:
        _emulator_status()
        return
    from ._extras import available, require

    if not available("emulator") and {"-h", "--help"} & set(arguments):
        from ._emulator_cli import emulator_parser

        emulator_parser().print_help()
        click.echo('\nRunning it needs the "emulator" extra: pip install "hfwidgets[emulator]"')
        sys.exit(EXIT_DONE)
    with _outcomes():
        require("emulator", "hfwidgets emulator")
    from .emulator.__main__ import main as serve

    try:
        code = serve(list(arguments), prog="hfwidgets emulator")
    except KeyboardInterrupt:  # Ctrl-C before the server took over the signal: still a clean stop
        code = 0
    sys.exit(code)


def _emulator_status() -> None:
    """`hfwidgets emulator status`: JSON on stdout when the home's emulator runs, else exit 1."""
    from ._config import data_dir
    from ._home_emulator import find_emulator

    found = find_emulator()
    if found is None:
        _fail(f"the local emulator of {data_dir()} is not running", EXIT_FAILED)
    with _outcomes():
        status = found.status()
    _print_json({"base_url": found.base_url, "home": str(found.home), **status})


# --------------------------------------------------------------------------- notebooks


@cli.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False), metavar="[DIR]")
def tutorials(folder: str | None) -> None:
    """Copy the tutorial notebooks and their images to DIR (default ./hfwidgets-tutorials).

    Files already there are kept. Run them with JupyterLab (pip install "hfwidgets[tutorials]").
    """
    from ._extras import available
    from ._tutorials import DEFAULT_DIR, copy_tutorials

    try:
        copied = copy_tutorials(folder if folder is not None else DEFAULT_DIR)
    except (FileNotFoundError, OSError) as error:
        _fail(str(error), EXIT_USAGE)
    for path in copied.notebooks:
        click.echo(str(path))
    if copied.kept:
        _say(f"kept {len(copied.kept)} file(s) already in {copied.folder}: edited ones are not overwritten")
    if not available("tutorials"):
        _say('to run them: pip install "hfwidgets[tutorials]"')
    _say(f"open them with: jupyter lab {copied.folder}")


@cli.command()
@click.argument("notebook", type=click.Path(exists=True, dir_okay=False), metavar="NOTEBOOK.ipynb")
@click.option(
    "-o",
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="The HTML file to write (default: beside the notebook, .html).",
)
def html(notebook: str, out: str | None) -> None:
    """Export a notebook as one HTML page that reads with no network and no kernel.

    Every hfwidgets output shows its static view (poster, parameters, status),
    every other widget its text; no widget manager is loaded from a CDN and no
    URL of the local emulator is left. Print the page's path.
    """
    from ._notebook_html import export_html

    with _outcomes():
        path = export_html(notebook, out)
    click.echo(str(path))


# --------------------------------------------------------------------------- entry points


def main(argv: Sequence[str] | None = None) -> None:
    """The `hfwidgets` command."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="hfwidgets")


def emulator_main() -> None:
    """The `hfwidgets-emulator` command: `hfwidgets emulator` under its older name."""
    main(["emulator", *sys.argv[1:]])
