"""A tool: one operation defined once (name, a description written for an LLM, input and output JSON
schemas, a handler calling the services, a compact text rendering), exposed as an MCP tool, as
``POST /api/tools/{name}`` and through the CLI.

``ToolCatalogue.call`` is the one way in for every face: it validates the arguments against the input
schema (filling defaults; text must be valid Unicode; messages quote values capped by ``echo``), binds a
correlation id into the structlog context, opens the ``tool`` span,
runs the handler, counts the call and returns the structured output with its text rendering.

A face that shows answers as they grow (server-sent events, MCP progress notifications) passes ``progress``:
it hears each stage of the answer as a ``ToolProgress`` holding the output so far, in the output schema's
shape. A tool with a staged handler (the enrichment tools) tells the offline answer and each source's; every
tool's last stage is ``final``, the output itself.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any, cast

import structlog
from attrs import field, frozen

from anime_mcp.core.errors import AnimeMcpError
from anime_mcp.core.progress import Stage
from anime_mcp.entrypoints.observability import span
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.tools.echo import cap_message, echo
from anime_mcp.entrypoints.tools.schema_check import Check, compile_check

# jsonschema is imported when a value fails the compiled check (``schema_check``), to name the error: the
# start of `anime-mcp mcp` (its first search within a second) does not pay for it.
if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

Handler = Callable[[Runtime, dict[str, Any]], Awaitable[dict[str, Any]]]
Renderer = Callable[[dict[str, Any]], str]
log = structlog.get_logger("anime_mcp.tools")


class ToolInputError(AnimeMcpError, ValueError):
    """Arguments that do not fit the tool's input schema; ``field`` names the offending one ("" for the whole
    input: not JSON, not an object)."""

    def __init__(self, field: str, message: str) -> None:
        field, message = cap_message(field), cap_message(message)
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


class UnknownTool(AnimeMcpError, LookupError):
    """No tool has this name."""


@frozen
class ToolProgress:
    """One stage of a tool's answer, for a face that shows it growing (``core.progress`` for the stages)."""

    stage: Stage
    step: int  # from 1
    total: int  # the stages of this answer: offline + one per source asked + final
    source: dict[str, Any] | None = None  # at a source stage: that source's outcome, as the output has it
    pending: tuple[str, ...] = ()  # the sources asked that have not answered yet
    # The output so far, shaped as the tool's output (at final: the output), made when first read: a face
    # that shows only the stages (MCP progress) never pays for rendering them.
    compute: Callable[[], dict[str, Any]] = field(kw_only=True, repr=False, eq=False)

    @cached_property
    def output(self) -> dict[str, Any]:
        return self.compute()

    @property
    def message(self) -> str:
        """One line for people: "offline answer", "kitsu: contributed", "anidb: failed (timed out ...)"."""
        if self.source is None:
            return f"{self.stage.value} answer"
        reason = self.source.get("reason")
        status = str(self.source.get("status"))
        return f"{self.source.get('source')}: {status}" + (f" ({reason})" if reason else "")


Report = Callable[[ToolProgress], Awaitable[None]]
StagedHandler = Callable[[Runtime, dict[str, Any], Report], Awaitable[dict[str, Any]]]


@frozen
class Tool:
    name: str
    title: str
    description: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]
    handler: Handler
    render: Renderer
    open_world: bool = False  # True: may reach live platforms on the internet
    # Reports the answer's stages as it grows (offline, per source); used instead of ``handler`` when a face
    # listens. Tools without one report only their final stage.
    staged: StagedHandler | None = None

    def validate(self, arguments: Mapping[str, Any] | None) -> dict[str, Any]:
        """The arguments with defaults filled in, or ``ToolInputError`` naming the first bad field."""
        if arguments is not None and not isinstance(arguments, Mapping):
            raise ToolInputError("", f"the arguments must be a JSON object, not {type(arguments).__name__}")
        values = dict(arguments or {})
        check_schema(self.input_schema, values)
        for name, prop in self.input_schema.get("properties", {}).items():
            if name not in values and "default" in prop:
                values[name] = prop["default"]
        return values


@cache
def strict_validator() -> Any:
    """Draft 2020-12, except that an integer is an int: JSON Schema counts 26.0 as an integer; Python cannot
    slice or range with it (schemathesis sent {"limit": 26.0}: it was a 500)."""
    from jsonschema import Draft202012Validator, validators

    return validators.extend(  # type: ignore[no-untyped-call]
        Draft202012Validator,
        type_checker=Draft202012Validator.TYPE_CHECKER.redefine(
            "integer", lambda checker, value: isinstance(value, int) and not isinstance(value, bool)
        ),
    )


def __getattr__(name: str) -> Any:
    if name == "StrictValidator":  # the validator class, made on first use (``strict_validator``)
        return strict_validator()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def check_schema(schema: dict[str, Any], value: Any, prefix: str = "", *, text: bool = True) -> None:
    """Raise ``ToolInputError`` for the first error (fields in document order), its field under ``prefix``;
    then (``text``) for text that is not valid Unicode (JSON allows a lone surrogate such as ``"\ud800"``;
    nothing downstream can use it). The schema's compiled check (``schema_check``) accepts most valid
    values at once; anything else goes through jsonschema, which names the error."""
    fast, validator = _validators(schema)
    errors = (
        []
        if fast is not None and fast(value)
        else sorted(
            validator().iter_errors(value),
            key=lambda e: ([str(p) for p in e.absolute_path], e.validator != "required"),
        )
    )
    if errors:
        problem = input_error(errors[0])
        field = ".".join(p for p in (prefix, problem.field) if p)
        raise ToolInputError(field, problem.message)
    if text:
        check_text(value, prefix)


# Schemas seen (by identity: the tools' schemas live as long as the process) -> their compiled check and
# jsonschema validator (made when first needed), built once. Holding the schema keeps its id from being
# reused; bounded, since a few callers check schemas built per request.
_COMPILED: dict[int, tuple[dict[str, Any], Check | None, Callable[[], Any]]] = {}
COMPILED_SCHEMAS = 256


def _validators(schema: dict[str, Any]) -> tuple[Check | None, Callable[[], Any]]:
    known = _COMPILED.get(id(schema))
    if known is None or known[0] is not schema:
        if len(_COMPILED) >= COMPILED_SCHEMAS:
            _COMPILED.clear()
        known = _COMPILED[id(schema)] = (schema, compile_check(schema), _validator_of(schema))
    return known[1], known[2]


def _validator_of(schema: dict[str, Any]) -> Callable[[], Any]:
    """The jsonschema validator of ``schema``, made on the first call and kept."""
    made: list[Any] = []

    def validator() -> Any:
        if not made:
            made.append(strict_validator()(schema))
        return made[0]

    return validator


def check_text(value: Any, field: str = "") -> None:
    """Raise ``ToolInputError`` naming the first string (or object key) that holds a lone surrogate."""
    if isinstance(value, str):
        if not _is_unicode(value):
            raise ToolInputError(
                field, f"{echo(value)} is not valid Unicode text (it holds a lone surrogate); send UTF-8 text"
            )
    elif isinstance(value, Mapping):
        for key, item in value.items():
            name = ".".join(p for p in (field, str(key)) if p)
            if isinstance(key, str) and not _is_unicode(key):
                raise ToolInputError(field, f"the key {echo(key)} is not valid Unicode text")
            check_text(item, name)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_text(item, ".".join(p for p in (field, str(index)) if p))


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def input_error(error: ValidationError) -> ToolInputError:
    """A readable message naming the field: ``filters.year_min: 'x' is not of type 'integer'``."""
    path = ".".join(str(p) for p in error.absolute_path)
    instance = error.instance
    if error.validator == "required" and isinstance(instance, dict):
        missing = [name for name in cast(list[str], error.validator_value) if name not in instance]
        field = ".".join(p for p in (path, missing[0] if missing else "") if p)
        return ToolInputError(field, "this field is required")
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        known = set(cast(dict[str, Any], error.schema).get("properties", {}))
        extra = sorted(set(instance) - known)
        field = ".".join(p for p in (path, extra[0] if extra else "") if p)
        return ToolInputError(field, f"unknown field; expected one of {', '.join(sorted(known))}")
    message = error.message
    shown = repr(instance)
    if len(shown) > len(echo(instance)):  # jsonschema quotes the value whole: 200 kB in, 200 kB out
        message = message.replace(shown, echo(instance))
    return ToolInputError(path, message)


@frozen
class ToolResult:
    tool: str
    output: dict[str, Any]
    text: str
    correlation_id: str
    seconds: float


class ToolCatalogue:
    """The tools of this installation, in a stable order."""

    def __init__(self, tools: Iterable[Tool]) -> None:
        self._tools = {tool.name: tool for tool in tools}

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def names(self) -> list[str]:
        return list(self._tools)

    def get(self, name: str) -> Tool:
        try:
            return self._tools[name]
        except KeyError:
            raise UnknownTool(f"no tool named {echo(name)}; the tools are {', '.join(self._tools)}") from None

    async def call(
        self,
        runtime: Runtime,
        name: str,
        arguments: Mapping[str, Any] | None,
        *,
        correlation_id: str | None = None,
        face: str = "",
        progress: Report | None = None,
    ) -> ToolResult:
        """Validate, run and render one call; ``progress`` (when given) hears each stage, ``final`` last."""
        tool = self.get(name)
        told: list[ToolProgress] = []
        correlation_id = correlation_id or new_correlation_id()
        started = time.perf_counter()
        failed = True
        with (
            structlog.contextvars.bound_contextvars(correlation_id=correlation_id, tool=name),
            span(f"tool {name}", **{"tool.name": name, "tool.face": face, "correlation_id": correlation_id}),
        ):
            try:
                values = tool.validate(arguments)
                log.info("tool.call", face=face, arguments=_loggable(values))
                if progress is not None and tool.staged is not None:
                    output = await tool.staged(runtime, values, _telling(progress, told))
                else:
                    output = await tool.handler(runtime, values)
                text = tool.render(output)
                failed = False
            except AnimeMcpError as exc:
                log.info("tool.failed", error=str(exc), error_type=type(exc).__name__)
                raise
            except Exception:
                log.exception("tool.crashed")
                raise
            finally:
                seconds = time.perf_counter() - started
                runtime.metrics.record(name, seconds, failed=failed)
            log.info("tool.done", ms=round(seconds * 1000, 2))
        if progress is not None:
            total = told[-1].total if told else 1
            await progress(ToolProgress(Stage.FINAL, total, total, compute=lambda: output))
        return ToolResult(name, output, text, correlation_id, seconds)


def _telling(progress: Report, told: list[ToolProgress]) -> Report:
    """``progress`` for the stages before the final one, which ``call`` tells itself, remembering them."""

    async def tell(stage: ToolProgress) -> None:
        if stage.stage is not Stage.FINAL:
            told.append(stage)
            await progress(stage)

    return tell


LOGGED_TEXT = 200  # longer argument values (a base64 picture: megabytes) are logged by their size only


def _loggable(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: f"<{len(value):,} characters>" if isinstance(value, str) and len(value) > LOGGED_TEXT else value
        for name, value in values.items()
    }


def new_correlation_id() -> str:
    return uuid.uuid4().hex
