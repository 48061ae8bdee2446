"""Bad input, by property: request building, feed parsing and HTML output hold for any values.

- `build_generate_body` / `build_ads_body`: for any values of every field, either a
  body that the documented service accepts (checked here against the API document,
  independently of `_requests.py`), or a `ValidationError` naming the field — never
  any other exception.
- `Feed.from_json` of any JSON: a `Feed`, or a typed `HiggsfieldError`.
- HTML produced on the Python side shows remote strings as text, never as markup.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, TypeGuard
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hfwidgets._errors import HiggsfieldError, ValidationError
from hfwidgets._journal import History, Journal
from hfwidgets._models import Feed, Motion, Task, normalise_status, task_id_problem
from hfwidgets._requests import build_ads_body, build_generate_body

FIXTURES = Path(__file__).resolve().parent.parent / "data"

# --------------------------------------------------------------------------- the documented rules
# Restated from the API document (docs: /higgsfield/generate and /higgsfield/ads), not from _requests.py.

DOCUMENTED_MODELS = {"lite", "standard", "turbo"}
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DATA_IMAGE = re.compile(r"^data:image/[A-Za-z0-9.+-]+;base64,(?P<payload>.+)$", re.DOTALL)


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def image_problem(value: Any) -> str | None:
    """Why `value` is not an image the service takes (an http(s) URL, or base64 as a data:image URL)."""
    if not isinstance(value, str):
        return f"not a string: {type(value).__name__}"
    match = DATA_IMAGE.match(value)
    if match:
        try:
            base64.b64decode(match["payload"], validate=True)
        except (binascii.Error, ValueError):
            return "data: URL whose payload is not base64"
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return "unparseable URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "neither an http(s) URL with a host nor a data:image/...;base64, URL"
    if any(c.isspace() for c in value):
        return "URL with whitespace"
    return None


def sends_as_json(body: dict[str, Any]) -> str | None:
    """Why the body cannot go on the wire as httpx encodes it (UTF-8 JSON, no NaN), if it cannot."""
    try:
        json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError) as error:
        return f"not sendable as JSON: {type(error).__name__}: {error}"
    return None


def generate_body_problems(body: Any) -> list[str]:
    """Every way `body` breaks the documented rules of POST /higgsfield/generate."""
    if not isinstance(body, dict):
        return ["not a JSON object"]
    problems = []
    expected = {"model", "motion_id", "prompt", "enhance_prompt", "seed", "width", "height", "image"}
    if set(body) != expected:
        problems.append(f"keys {sorted(body)} instead of {sorted(expected)}")
    if body.get("model") not in DOCUMENTED_MODELS:
        problems.append(f"model {body.get('model')!r}")
    motion_id = body.get("motion_id")
    if not isinstance(motion_id, str) or not UUID.match(motion_id):
        problems.append(f"motion_id {motion_id!r} is not a uuid")
    if not isinstance(body.get("prompt"), str):
        problems.append("prompt is not a string")
    if not isinstance(body.get("enhance_prompt"), bool):
        problems.append("enhance_prompt is not a bool")
    seed = body.get("seed")
    if not _is_int(seed) or not 1 <= seed <= 1_000_000:
        problems.append(f"seed {seed!r} outside 1..1000000")
    for side in ("width", "height"):
        value = body.get(side)
        if not _is_int(value) or value <= 0:
            problems.append(f"{side} {value!r} is not a positive int")
    images = body.get("image")
    if not isinstance(images, list) or not 1 <= len(images) <= 2:
        problems.append("image is not a list of 1 or 2")
    else:
        problems += [f"image[{i}]: {p}" for i, v in enumerate(images) if (p := image_problem(v))]
    if (problem := sends_as_json(body)) is not None:
        problems.append(problem)
    return problems


def ads_body_problems(body: Any) -> list[str]:
    """Every way `body` breaks the documented rules of POST /higgsfield/ads."""
    if not isinstance(body, dict):
        return ["not a JSON object"]
    problems = []
    if set(body) != {"product_placement_sample_id", "image", "size"}:
        problems.append(f"keys {sorted(body)}")
    template = body.get("product_placement_sample_id")
    if not isinstance(template, str) or not template or template != template.strip():
        problems.append(f"template id {template!r}")
    images = body.get("image")
    if not isinstance(images, list) or not images:
        problems.append("image is not a non-empty list")
    else:
        problems += [f"image[{i}]: {p}" for i, v in enumerate(images) if (p := image_problem(v))]
    size = body.get("size")
    match = re.fullmatch(r"(\d+)x(\d+)", size) if isinstance(size, str) else None
    if match is None or int(match[1]) <= 0 or int(match[2]) <= 0:
        problems.append(f"size {size!r} is not WxH")
    if (problem := sends_as_json(body)) is not None:
        problems.append(problem)
    return problems


def test_the_documented_example_passes_the_independent_rules() -> None:
    """The checker itself: the provider's own examples are accepted, obvious breakages are not."""
    example = json.loads((FIXTURES / "generate_request.json").read_text("utf-8"))
    assert generate_body_problems(example) == []
    assert ads_body_problems(json.loads((FIXTURES / "ads_request.json").read_text("utf-8"))) == []
    assert generate_body_problems({**example, "seed": 0}) == ["seed 0 outside 1..1000000"]
    assert generate_body_problems({**example, "image": []}) == ["image is not a list of 1 or 2"]
    assert generate_body_problems({**example, "prompt": "\ud800"})[0].startswith("not sendable")
    assert image_problem("http://") is not None and image_problem("data:image/png;base64,AAAA") is None


# --------------------------------------------------------------------------- strategies

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.binary(max_size=10),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)

URL_PREFIXES = [
    "http://",
    "https://",
    "HTTP://",
    "ftp://",
    "javascript:",
    "data:image/",
    "data:image/png;base64,",
    "data:text/html;base64,",
    "//",
    "",
]
valid_image = st.sampled_from(
    [
        "https://media.pixverse.ai/asset/media/fusion4_1.jpg",
        "http://127.0.0.1:8000/a.png",
        "data:image/png;base64,iVBORw0KGgo=",
    ]
)
any_image = st.one_of(
    valid_image,
    st.builds(lambda prefix, rest: prefix + rest, st.sampled_from(URL_PREFIXES), st.text(max_size=20)),
    anything,
)

# Per field: values the documented service takes, and values anywhere around and beyond them.
GENERATE_VALID: dict[str, st.SearchStrategy[Any]] = {
    "images": st.lists(valid_image, min_size=1, max_size=2),
    "motion_id": st.uuids().map(str),
    "prompt": st.sampled_from(["", "正在吃饭", "a cat eats"]),
    "model": st.sampled_from(["lite", "turbo", "standard"]),
    "seed": st.integers(1, 1_000_000),
    "width": st.sampled_from([736, 1312, 1024]),
    "height": st.sampled_from([736, 1312, 1024]),
    "enhance_prompt": st.booleans(),
}
GENERATE_WILD: dict[str, st.SearchStrategy[Any]] = {
    "images": st.one_of(st.lists(any_image, max_size=4), st.tuples(any_image), anything),
    "motion_id": st.one_of(
        st.sampled_from(["cd5bfd11-5a1a-46e0-9294-b22b0b733b1e", "", " ", "Face Punch", "../x"]), anything
    ),
    "prompt": st.one_of(
        st.sampled_from(["a" * 2000, "a" * 2001, "\ud800", "tab\tnul\x00", "<script>x</script>"]),
        st.text(max_size=60),
        anything,
    ),
    "model": st.one_of(st.sampled_from(["Lite", "pro", "", " lite"]), anything),
    "seed": st.one_of(
        st.sampled_from([1, 1_000_000, 0, 1_000_001, -1, True, 374487.0]),
        st.integers(-(2**70), 2**70),
        anything,
    ),
    "width": st.one_of(
        st.sampled_from([64, 2048, 0, 63, 2049, 2056, 1001, True, 736.0]), st.integers(-5000, 5000), anything
    ),
    "height": st.one_of(st.sampled_from([64, 2048, 0, 2049, 1001, False, 1312.0]), st.integers(-5000, 5000)),
    "enhance_prompt": st.one_of(st.sampled_from([0, 1, "true", None]), anything),
}


def check_generate(fields: dict[str, Any]) -> None:
    """Build the body; it is documented-valid, or a clear ValidationError came out."""
    refused: ValidationError | None = None
    try:
        body = build_generate_body(**fields)
    except ValidationError as error:
        refused = error
    if refused is not None:
        assert_clear(refused)
        return
    assert generate_body_problems(body) == [], body
    # The body says what was asked, unchanged.
    asked = (fields["model"], fields["seed"], fields["width"], fields["height"], fields["prompt"])
    assert (body["model"], body["seed"], body["width"], body["height"], body["prompt"]) == asked
    assert body["enhance_prompt"] is fields["enhance_prompt"]


@pytest.mark.parametrize("wild_field", sorted(GENERATE_WILD))
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generate_body_with_one_bad_field_is_documented_or_refused(
    wild_field: str, data: st.DataObject
) -> None:
    fields = {name: data.draw(strategy, label=name) for name, strategy in GENERATE_VALID.items()}
    fields[wild_field] = data.draw(GENERATE_WILD[wild_field], label=f"wild {wild_field}")
    check_generate(fields)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generate_body_with_any_fields_is_documented_or_refused(data: st.DataObject) -> None:
    fields = {
        name: data.draw(GENERATE_VALID[name] | GENERATE_WILD[name], label=name) for name in GENERATE_VALID
    }
    check_generate(fields)


EDGE_VALUES: list[tuple[str, Any]] = [
    ("images", ["http://"]),
    ("images", ["https://"]),
    ("images", ["data:image/"]),
    ("images", ["data:image/png;base64,"]),
    ("images", ["data:image/png;base64,not base64!"]),
    ("images", ["http://exa mple.com/a.png"]),
    ("motion_id", "Face Punch"),
    ("motion_id", "cd5bfd11"),
    ("prompt", "\ud800"),
    ("prompt", "ok \udfff"),
    ("seed", 1_000_001),
    ("width", 2**63),
]


@pytest.mark.parametrize(("name", "value"), EDGE_VALUES, ids=[f"{n}={v!r}" for n, v in EDGE_VALUES])
def test_generate_edge_values_are_documented_or_refused(name: str, value: Any) -> None:
    """The same property, on values found by hand (so the outcome does not depend on the search)."""
    fields: dict[str, Any] = {
        "images": ["https://media.pixverse.ai/asset/media/fusion4_1.jpg"],
        "motion_id": "cd5bfd11-5a1a-46e0-9294-b22b0b733b1e",
        "prompt": "a cat eats",
        "model": "lite",
        "seed": 7,
        "width": 736,
        "height": 1312,
        "enhance_prompt": True,
    }
    fields[name] = value
    check_generate(fields)


ADS_VALID: dict[str, st.SearchStrategy[Any]] = {
    "images": st.lists(valid_image, min_size=1, max_size=1),
    "template_id": st.sampled_from(["3hpZ2HB0xS688KnzMIwU16", "abc123"]),
    "size": st.sampled_from(["1024x1024", "736x1312"]),
}
ADS_WILD: dict[str, st.SearchStrategy[Any]] = {
    "images": GENERATE_WILD["images"],
    "template_id": st.one_of(
        st.sampled_from(["", " ", "a b", "a/b", "x?y", " x"]), st.text(max_size=30), anything
    ),
    "size": st.one_of(
        st.sampled_from(["1024X1024", " 1024 x 1024 ", "0x0", "1024", "x", "1024x1024x2", "10000x10000"]),
        st.builds(
            lambda w, h, sep: f"{w}{sep}{h}",
            st.integers(-10, 5000),
            st.integers(-10, 5000),
            st.sampled_from(["x", "X", "×", " x ", "*", ""]),
        ),
        st.text(max_size=12),
        anything,
    ),
}


@pytest.mark.parametrize("wild_field", sorted(ADS_WILD))
@settings(max_examples=120, deadline=None)
@given(data=st.data())
def test_ads_body_with_one_bad_field_is_documented_or_refused(wild_field: str, data: st.DataObject) -> None:
    fields = {name: data.draw(strategy, label=name) for name, strategy in ADS_VALID.items()}
    fields[wild_field] = data.draw(ADS_WILD[wild_field], label=f"wild {wild_field}")
    refused: ValidationError | None = None
    try:
        body = build_ads_body(**fields)
    except ValidationError as error:
        refused = error
    if refused is not None:
        assert_clear(refused)
        return
    assert ads_body_problems(body) == [], body


GENERATE_FIELDS = {
    "model",
    "motion",
    "motion_id",
    "prompt",
    "enhance_prompt",
    "seed",
    "width",
    "height",
    "image",
}
ADS_FIELDS = {"template_id", "size", "image"}


def assert_clear(error: ValidationError) -> None:
    """A ValidationError names a known field, shows the value and says what is allowed."""
    base = error.field.split("[", 1)[0]
    assert base in GENERATE_FIELDS | ADS_FIELDS, error.field
    message = str(error)
    assert message.startswith(f"{error.field}=") and error.allowed and error.allowed in message


# --------------------------------------------------------------------------- feed parsing

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=25,
)
statuses = st.sampled_from(
    ["queued", "in_progress", "completed", "failed", "nsfw", "canceled", "melting", ""]
)
job_like = st.fixed_dictionaries(
    {},
    optional={
        "id": json_values,
        "status": statuses | json_values,
        "result": st.fixed_dictionaries({}, optional={"url": st.text(max_size=20) | json_values})
        | json_values,
        "results": st.dictionaries(st.sampled_from(["raw", "min"]), json_values, max_size=2) | json_values,
        "meta": st.fixed_dictionaries({}, optional={"duration": json_values}) | json_values,
    },
)
feed_like = st.fixed_dictionaries(
    {},
    optional={
        "id": st.text(max_size=12) | json_values,
        "type": json_values,
        "created_at": st.floats() | st.integers() | json_values,
        "params": st.fixed_dictionaries(
            {},
            optional={
                "seed": json_values,
                "width": json_values,
                "height": json_values,
                "model": json_values,
                "motion": st.fixed_dictionaries({}, optional={"name": json_values, "id": json_values})
                | json_values,
                "input_image": json_values,
                "enhance_prompt": json_values,
            },
        )
        | json_values,
        "jobs": st.lists(job_like | json_values, max_size=4) | json_values,
    },
)


@settings(max_examples=500, deadline=None)
@given(data=json_values | feed_like, task_id=st.none() | st.text(max_size=8))
def test_feed_parsing_of_any_json_gives_a_feed_or_a_typed_error(data: Any, task_id: str | None) -> None:
    refused: HiggsfieldError | None = None
    try:
        feed = Feed.from_json(data, task_id=task_id)
    except HiggsfieldError as error:
        refused = error
    if refused is not None:
        assert str(refused)
        return
    assert isinstance(feed, Feed) and isinstance(feed.status, str) and feed.id
    # Everything a caller touches next works too.
    repr(feed)
    feed.to_dict()
    _ = (feed.done, feed.video_url, feed.min_url, feed.duration, feed.prompt)
    # What came over the wire round-trips through JSON text as well.
    try:
        text = json.dumps(data, allow_nan=False)
    except ValueError:
        return
    assert Feed.from_json(json.loads(text), task_id=task_id).status == feed.status


# --------------------------------------------------------------------------- HTML output

ALLOWED_TAGS = {
    "div",
    "p",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "code",
    "a",
    "img",
    "video",
    "small",
    "b",
}


class _Audit(HTMLParser):
    """Collects tags, attributes and visible text of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [(tag, name, value or "") for name, value in attrs]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def audit_html(page: str) -> _Audit:
    """Parse `page`; fail on markup a remote string could have injected."""
    audit = _Audit()
    audit.feed(page)
    audit.close()
    assert set(audit.tags) <= ALLOWED_TAGS, set(audit.tags) - ALLOWED_TAGS
    for tag, name, value in audit.attributes:
        assert not name.startswith("on"), (tag, name)
        if name == "href":
            assert value.startswith(("http://", "https://")), value
        if name == "src":
            assert value.startswith(("http://", "https://", "data:image/jpeg;base64,")), value
    return audit


remote_text = st.one_of(
    st.lists(
        st.sampled_from([*"<>&\"'/=ab :;x", "javascript:", "<script>", "</td>", "onerror=", "&amp;"]),
        min_size=1,
        max_size=12,
    ).map("".join),
    st.text(min_size=1, max_size=20),
)


def _visible(audit: _Audit) -> str:
    return "".join(audit.text)


def _no_controls(text: str) -> str:
    """What an HTML parser can give back as text (it normalises no characters, but drops NULs in places)."""
    return text.replace("\x00", "").replace("\r", "")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    motion_name=remote_text,
    # Ids that could not name a task (a "/", "..") are refused by Feed.from_json before anything shows them.
    task_id=remote_text.filter(lambda text: task_id_problem(text) is None),
    status=remote_text,
    url=remote_text,
    prompt=remote_text,
)
def test_history_html_shows_remote_strings_as_text(
    tmp_path_factory: pytest.TempPathFactory,
    motion_name: str,
    task_id: str,
    status: str,
    url: str,
    prompt: str,
) -> None:
    journal = Journal(tmp_path_factory.mktemp("journal") / "j.sqlite3")
    task = Task(
        id=task_id,
        kind="image2video",
        cost=5,
        model="lite",
        motion=Motion(id="m", name=motion_name),
        seed=1,
        width=736,
        height=1312,
        prompt=prompt,
        created_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
    )
    journal.record(task, base_url="http://127.0.0.1:1", thumbnail=b"\xff\xd8")
    feed = Feed.from_json({"id": task_id, "jobs": [{"status": status, "result": {"url": url}}]})
    journal.update(task_id, feed)
    history = History(journal.records())
    audit = audit_html(history._repr_html_())
    shown = _visible(audit)
    # A known status is shown as this package spells it ("Completed " is "completed").
    for remote in (motion_name, task_id, normalise_status(status)):
        assert _no_controls(remote).strip() in _no_controls(shown)
    repr(history)  # the text repr never fails either


@settings(max_examples=150, deadline=None)
@given(
    prompt=remote_text, url=remote_text, status=remote_text | statuses.filter(bool), motion_name=remote_text
)
def test_result_view_static_html_shows_remote_strings_as_text(
    prompt: str, url: str, status: str, motion_name: str
) -> None:
    widgets = pytest.importorskip("hfwidgets.widgets", reason="widgets not available yet")
    feed = Feed.from_json(
        {
            "id": "t-1",
            "created_at": (datetime.now(timezone.utc) - timedelta(minutes=1)).timestamp(),
            "params": {"prompt": prompt, "motion": {"name": motion_name}},
            "jobs": [{"status": status, "result": {"url": url}, "results": {"raw": {"url": url}}}],
        }
    )
    view = widgets.ResultView(feed)
    bundle = view._repr_mimebundle_()
    assert bundle is not None
    page = bundle[0]["text/html"]
    audit = audit_html(page)
    if prompt.strip():
        assert _no_controls(prompt).strip() in _no_controls(_visible(audit))
    # Synced state never carries anything but an http(s) video URL.
    assert view.video_url == "" or view.video_url.startswith(("http://", "https://"))
