"""hfwidgets: make videos from images with the Higgsfield video API, from Python and Jupyter.

Core (async, no widgets): `Client`, `GenerateRequest`, `AdsRequest`, `Feed`, `Task`,
`Motion`, `motions`, `run`, `resume`, `history`, `Journal`, `video_info`.
Widgets: `Studio`, `MotionGrid`, `ImageInput`, `ResultView`, `Explorer`, `AdsPanel`;
`compare(feeds)` (a `Comparison`: results side by side, played in sync).
Errors: `HiggsfieldError` and its subclasses (the tree is drawn in `hfwidgets._errors`).
A local emulator of the API: `hfwidgets.emulator`.

Widgets, the emulator and the blocking facade are imported on first use, so
`import hfwidgets` stays light.
"""

import importlib as _importlib
import typing as _typing

from ._catalog import motions
from ._errors import (
    APIError,
    AuthError,
    BlockingCallError,
    BudgetExceeded,
    DownloadTimeout,
    EmulatorError,
    HiggsfieldError,
    ImageSizeUnknown,
    InsufficientCredits,
    JournalError,
    LimitExceeded,
    MalformedResponse,
    MalformedSubmission,
    MissingExtra,
    MissingKeyError,
    NetworkError,
    NoEventLoop,
    RateLimited,
    SubmissionUncertain,
    TaskFailed,
    TaskTimeout,
    ValidationError,
)
from ._models import MODELS, PRICES, Feed, Job, Motion, MotionPart, Params, Task
from ._requests import AdsRequest, GenerateRequest

if _typing.TYPE_CHECKING:
    from . import emulator
    from ._client import Client
    from ._journal import History, Journal, TaskRecord, history
    from ._kept import KeptVideo
    from ._polling import PollPolicy
    from ._sync import resume, run
    from ._video import video_info
    from .widgets import AdsPanel, Comparison, Explorer, ImageInput, MotionGrid, ResultView, Studio, compare

__version__ = "0.3.0.dev0"
"""This release; the newest section of CHANGELOG.md names it (tests/core/test_exported_members.py)."""

# name -> module that defines it; resolved on first attribute access (PEP 562).
_LAZY = {
    "Client": "._client",
    "PollPolicy": "._polling",
    "History": "._journal",
    "Journal": "._journal",
    "KeptVideo": "._kept",
    "TaskRecord": "._journal",
    "history": "._journal",
    "run": "._sync",
    "resume": "._sync",
    "video_info": "._video",
    "Studio": ".widgets",
    "MotionGrid": ".widgets",
    "ImageInput": ".widgets",
    "ResultView": ".widgets",
    "Explorer": ".widgets",
    "AdsPanel": ".widgets",
    "Comparison": ".widgets",
    "compare": ".widgets",
}


def __getattr__(name: str) -> _typing.Any:
    where = ".emulator" if name == "emulator" else _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module 'hfwidgets' has no attribute {name!r}")
    module = _importlib.import_module(where, __name__)  # the one import of the lazy names
    if name == "emulator":
        return module
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY, "emulator"})


__all__ = [
    "MODELS",
    "PRICES",
    "APIError",
    "AdsPanel",
    "AdsRequest",
    "AuthError",
    "BlockingCallError",
    "BudgetExceeded",
    "Client",
    "Comparison",
    "DownloadTimeout",
    "EmulatorError",
    "Explorer",
    "Feed",
    "GenerateRequest",
    "HiggsfieldError",
    "History",
    "ImageInput",
    "ImageSizeUnknown",
    "InsufficientCredits",
    "Job",
    "Journal",
    "JournalError",
    "KeptVideo",
    "LimitExceeded",
    "MalformedResponse",
    "MalformedSubmission",
    "MissingExtra",
    "MissingKeyError",
    "Motion",
    "MotionGrid",
    "MotionPart",
    "NetworkError",
    "NoEventLoop",
    "Params",
    "PollPolicy",
    "RateLimited",
    "ResultView",
    "Studio",
    "SubmissionUncertain",
    "Task",
    "TaskFailed",
    "TaskRecord",
    "TaskTimeout",
    "ValidationError",
    "compare",
    "emulator",
    "history",
    "motions",
    "resume",
    "run",
    "video_info",
]
