"""The request options are declared once (`_options`): every place that takes, shows, stores or
prints them has exactly the declared set, with the declared defaults.

An option added to the declaration but not to one of these places (or the other way round)
fails here, naming the place.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hfwidgets import AdsRequest, Client, GenerateRequest, TaskRecord, run
from hfwidgets._cli import cli
from hfwidgets._journal import Journal
from hfwidgets._models import Motion, Task
from hfwidgets._options import (
    ADS_OPTIONS,
    GENERATE_OPTIONS,
    REQUIRED,
    GenerateOptions,
    RequestOption,
    ads_option_names,
    check_options,
    generate_option,
    generate_option_names,
    journal_columns,
)
from hfwidgets._requests import MAX_PROMPT_CHARS
from hfwidgets.widgets import AdsPanel, Explorer, Studio
from hfwidgets.widgets._codegen import generate_code
from hfwidgets.widgets._controls import ControlValues, OptionTrait

NAMES = generate_option_names()
ADS_NAMES = ads_option_names()
TRAITS: dict[str, type] = {"str": str, "int": int, "bool": bool}
"""The Python type a widget trait of each declared kind holds."""


def keyword_defaults(function: Callable[..., Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The defaults of `names` in `function`'s signature (REQUIRED for a parameter without one)."""
    parameters = inspect.signature(function).parameters
    return {
        name: REQUIRED if parameters[name].default is inspect.Parameter.empty else parameters[name].default
        for name in names
        if name in parameters
    }


def declared_defaults(declared: tuple[RequestOption, ...]) -> dict[str, Any]:
    return {option.name: option.default for option in declared}


def test_the_declaration_names_each_option_once() -> None:
    assert NAMES == ("motion", "prompt", "model", "seed", "width", "height", "enhance_prompt")
    assert ADS_NAMES == ("template_id", "size")
    assert len({*NAMES, *ADS_NAMES}) == len(NAMES) + len(ADS_NAMES)
    assert generate_option("seed").optional and not generate_option("model").optional
    assert repr(generate_option("seed")) == "RequestOption('seed', int | None, default=None)"


@pytest.mark.parametrize(
    ("where", "function", "skip"),
    [
        ("GenerateRequest()", GenerateRequest, ()),
        ("Client.generate()", Client.generate, ()),
        ("hfwidgets.run()", run, ()),
        ("Studio()", Studio, ()),
        # The Explorer takes several motions and seeds: `motions`, `seeds`.
        ("Explorer()", Explorer, ("motion", "seed")),
    ],
)
def test_every_signature_takes_every_generate_option_with_its_default(
    where: str, function: Callable[..., Any], skip: tuple[str, ...]
) -> None:
    parameters = inspect.signature(function).parameters
    expected = {
        name: default for name, default in declared_defaults(GENERATE_OPTIONS).items() if name not in skip
    }
    if where != "GenerateRequest()" and "motion" in expected:
        # Optional there: a ready GenerateRequest instead (Client.generate, run), or the grid (Studio).
        expected["motion"] = None
    found = keyword_defaults(function, tuple(expected))
    assert found == expected, f"{where} and GENERATE_OPTIONS disagree"
    if skip:
        assert {f"{name}s" for name in skip} <= set(parameters), where


def test_the_typed_keyword_options_are_the_declared_ones() -> None:
    # `**options: Unpack[GenerateOptions]` in Client.generate, run and GenerateRequest: what type
    # checkers read. The motion and the prompt are the positional parameters before it.
    typed = {name: ref.__forward_arg__ for name, ref in GenerateOptions.__annotations__.items()}
    assert typed == {option.name: option.type for option in GENERATE_OPTIONS[2:]}
    assert [option.name for option in GENERATE_OPTIONS[:2]] == ["motion", "prompt"]


@pytest.mark.parametrize("function", [GenerateRequest, run])
def test_an_unknown_keyword_names_itself_and_the_options(function: Callable[..., Any]) -> None:
    from hfwidgets import ValidationError

    with pytest.raises(ValidationError, match=r"sed.*enhance_prompt, height, model"):
        function("cat.jpg", "Face Punch", sed=7)


@pytest.mark.parametrize(
    ("where", "function"),
    [("AdsRequest()", AdsRequest), ("Client.ads()", Client.ads), ("AdsPanel()", AdsPanel)],
)
def test_every_signature_takes_every_ads_option(where: str, function: Callable[..., Any]) -> None:
    expected = declared_defaults(ADS_OPTIONS)
    found = keyword_defaults(function, ADS_NAMES)
    if where != "AdsRequest()":
        # Client.ads takes the template as an optional positional (a ready AdsRequest instead);
        # the panel starts from the provider's example template.
        del expected["template_id"], found["template_id"]
        assert "template_id" in inspect.signature(function).parameters, where
    assert found == expected, f"{where} and ADS_OPTIONS disagree"


def test_requests_tasks_and_journal_records_carry_every_option_under_its_name() -> None:
    assert [item.name for item in dataclasses.fields(GenerateRequest)] == ["image", *NAMES]
    assert [item.name for item in dataclasses.fields(AdsRequest)] == ["image", *ADS_NAMES]
    task_fields = {item.name for item in dataclasses.fields(Task)}
    assert set(NAMES) | set(ADS_NAMES) <= task_fields
    record_fields = {item.name for item in dataclasses.fields(TaskRecord)}
    attributes = record_fields | {
        name for name, _ in inspect.getmembers(TaskRecord, inspect.isdatadescriptor)
    }
    assert set(NAMES) | set(ADS_NAMES) <= attributes
    assert {item.name for item in dataclasses.fields(ControlValues)} == set(NAMES) - {"motion"}


def test_widget_traits_hold_every_option_of_the_declared_kind() -> None:
    for widget, declared in (
        (Studio, GENERATE_OPTIONS),
        (Explorer, GENERATE_OPTIONS),
        (AdsPanel, ADS_OPTIONS),
    ):
        traits = widget.class_traits()
        for option in declared:
            if widget is Explorer and option.name in ("motion", "seed"):
                assert not {"motion", "seed"} & set(traits)  # every cell has its own: `motions`, `seeds`
                continue
            if option.trait == "motion":
                assert "selected_id" in traits  # the motion is chosen in the grid
                continue
            assert option.name in traits, f"{widget.__name__} has no trait {option.name!r}"
            trait = traits[option.name]
            # Checked by the option's own check: a bad value is the request's ValidationError.
            assert isinstance(trait, OptionTrait) and trait.option is option, (widget.__name__, option.name)
            assert isinstance(trait.default_value, TRAITS[option.trait]), (widget.__name__, option.name)
            assert trait.metadata.get("sync"), (widget.__name__, option.name)


def test_command_line_options_are_the_declared_ones() -> None:
    commands = {name: {p.name for p in command.params} for name, command in cli.commands.items()}
    for command in ("run", "submit"):
        assert set(NAMES) <= commands[command], command
    assert set(ADS_NAMES) <= commands["ads"]
    run_command = cli.commands["run"]
    flags = {p.name: tuple(p.opts) + tuple(p.secondary_opts) for p in run_command.params}
    assert flags["enhance_prompt"] == ("--enhance", "--no-enhance")
    assert flags["motion"] == ("-m", "--motion")


def test_journal_has_a_column_for_every_option(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite3")
    journal.check()
    with sqlite3.connect(journal.path) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(tasks)")}
    assert {name for name, _ in journal_columns()} <= columns
    assert {name for name, _ in journal_columns(ADS_OPTIONS)} <= columns


def test_copy_as_code_passes_every_option_by_name() -> None:
    values = ControlValues("turbo", 77, 512, 768, "waves", False)
    code = generate_code(
        ["a.png"], Motion(id="cd5bfd11-5a1a-46e0-9294-b22b0b733b1e", name="Face Punch"), values
    )
    call = next(node for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Call) and node.keywords)
    assert [keyword.arg for keyword in call.keywords] == list(NAMES)


def test_check_options_refuses_unknown_names_and_half_sizes() -> None:
    from hfwidgets import ValidationError

    with pytest.raises(ValidationError, match="colour"):
        check_options({"motion": "Face Punch", "colour": "red"})
    with pytest.raises(ValidationError, match="height"):
        check_options({"motion": "Face Punch", "width": 512})
    with pytest.raises(ValidationError, match="motion"):
        check_options({})
    with pytest.raises(ValidationError, match=str(MAX_PROMPT_CHARS)):
        check_options({"motion": "Face Punch", "prompt": "x" * (MAX_PROMPT_CHARS + 1)})
    checked = check_options({"motion": "Face Punch", "enhance_prompt": False})
    assert checked["enhance_prompt"] is False and checked["model"] == "lite" and checked["seed"] is None
    assert list(checked) == list(NAMES)
