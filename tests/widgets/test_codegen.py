"""Copy as code: valid Python that reproduces the settings."""

from __future__ import annotations

import ast
from typing import Any

import pytest

from hfwidgets._catalog import resolve_motion
from hfwidgets._errors import ValidationError
from hfwidgets.widgets._codegen import generate_code
from hfwidgets.widgets._controls import ControlValues

VALUES = ControlValues(
    model="standard",
    seed=374487,
    width=736,
    height=1312,
    prompt='正在吃饭, "quoted"\nnew line',
    enhance_prompt=False,
)


def call_arguments(code: str, function: str) -> tuple[list[Any], dict[str, Any]]:
    """The literal arguments of the first call to `function` in `code`."""
    flags = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT  # notebooks allow a top-level await
    tree = compile(code, "<copied>", "exec", flags=flags)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and ast.unparse(node.func) == function:
            args = [ast.literal_eval(a) for a in node.args]
            return args, {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
    raise AssertionError(f"no call to {function} in:\n{code}")


def test_run_style_reproduces_every_setting() -> None:
    motion = resolve_motion("Face Punch")
    code = generate_code(["cat.png"], motion, VALUES)
    ast.parse(code)
    args, kwargs = call_arguments(code, "hfwidgets.run")
    assert args == ["cat.png"]
    assert kwargs == {
        "motion": motion.id,
        "prompt": VALUES.prompt,
        "model": "standard",
        "seed": 374487,
        "width": 736,
        "height": 1312,
        "enhance_prompt": False,
    }
    assert f"# {motion.name}" in code


def test_async_style_awaits_the_client() -> None:
    motion = resolve_motion("Face Punch")
    code = generate_code(["https://example.org/a.jpg", "last.png"], motion, VALUES, style="async")
    args, kwargs = call_arguments(code, "client.generate")
    assert args == [["https://example.org/a.jpg", "last.png"]]
    assert kwargs["seed"] == 374487
    assert "await client.wait(task)" in code
    compile(code, "<copied>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def test_a_name_that_could_break_the_comment_stays_on_one_line() -> None:
    from hfwidgets._models import Motion

    motion = Motion(id="cd5bfd11-5a1a-46e0-9294-b22b0b733b1e", name="Two\nLines")
    code = generate_code(["a.png"], motion, VALUES)
    ast.parse(code)
    assert "# Two Lines" in code


def test_invalid_settings_are_refused() -> None:
    motion = resolve_motion("Face Punch")
    with pytest.raises(ValidationError, match="seed"):
        generate_code(["a.png"], motion, ControlValues("lite", 0, 736, 1312, "", True))
    with pytest.raises(ValidationError, match="image"):
        generate_code([], motion, VALUES)
