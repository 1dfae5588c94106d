"""The procedure file format: frozen dataclasses that are both the validated shape and the runtime model.

`engine.schema` validates a file's data into these classes with pydantic (unknown keys forbidden, so a
misspelled guard is an error instead of a silently dropped key) and exports the JSON Schema for editors.
This module itself never imports pydantic: a step in a fresh process rebuilds a stored, already validated
procedure with `procedure_from_data`, which costs microseconds instead of a schema build. The `Field(...)`
annotations are read only by pydantic, inside `engine.schema`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from engine.duration import parse_duration

if TYPE_CHECKING:
    from pydantic import Field

    from engine.diagnostics import Diagnostic

IDENTIFIER = r"^[a-z][a-z0-9_]{0,62}$"
PROCEDURE_ID = r"^[a-z][a-z0-9-]{0,62}$"
DURATION = r"^\s*(\d+\s*[smhd]\s*)+$"
InputType = Literal[
    "text",
    "personnummer",
    "interim_or_personnummer",
    "date",
    "course_code",
    "group",
    "email",
    "choice",
    "yes_no",
    "number",
]
STEP_KINDS = ("task", "choice", "wait", "check", "notify", "end")
_FORBID: dict[str, Any] = {"extra": "forbid"}


@dataclass(frozen=True)
class SourceRef:
    """Where in the written routine a step or procedure comes from (traceability for auditors)."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    document: str | None = None
    version: str | None = None
    section: Annotated[str | None, Field(description="heading or step number, e.g. 'Process, steg 6'")] = None
    quote: Annotated[str | None, Field(description="the routine's sentence this implements, as written")] = None

    def as_dict(self) -> dict[str, str]:
        pairs = (
            ("document", self.document),
            ("version", self.version),
            ("section", self.section),
            ("quote", self.quote),
        )
        return {k: v for k, v in pairs if v is not None}


@dataclass(frozen=True)
class Access:
    """Who may act: at least one of `roles` (when any are listed) and every one of `tasks`."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    roles: Annotated[list[str], Field(description="BER roles; holding any one of them is enough")] = field(
        default_factory=list
    )
    tasks: Annotated[list[str], Field(description="staff tasks (personalarbetsuppgift); all are needed")] = field(
        default_factory=list
    )


@dataclass(frozen=True)
class Choice:
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    value: Annotated[str, Field(pattern=IDENTIFIER)]
    label: str
    label_en: str | None = None


@dataclass(frozen=True)
class Input:
    """A typed value: a case input given at start, or a field recorded when a step is done."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    name: Annotated[str, Field(pattern=IDENTIFIER, description="lower-case ASCII letters, digits and _")]
    type: InputType
    label: str
    label_en: str | None = None
    help: str | None = None
    required: Annotated[bool, Field(strict=True)] = True
    required_when: Annotated[str | None, Field(description="a condition; the value is required only when it holds")] = (
        None
    )
    choices: list[Choice] | None = None

    def __post_init__(self) -> None:
        if self.type == "choice" and not self.choices:
            raise ValueError("an input of type 'choice' needs a list of `choices`")
        if self.type != "choice" and self.choices is not None:
            raise ValueError(f"`choices` only goes with type 'choice', not '{self.type}'")


@dataclass(frozen=True)
class Action:
    """A button the person presses: its name (used on the command line), label, and where it leads."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    name: Annotated[str, Field(pattern=IDENTIFIER)]
    label: str
    next: Annotated[str, Field(pattern=IDENTIFIER)]
    label_en: str | None = None


@dataclass(frozen=True)
class Perform:
    """What the person's step changes in another system, so a sandbox can simulate it."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    action: str
    args: Annotated[dict[str, str], Field(description="parameter -> input or field name, or '=text'")]


@dataclass(frozen=True)
class Query:
    """A question asked of another system's adapter; the wait ends when the answer equals `equals`."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    query: str
    args: Annotated[dict[str, str], Field(description="parameter -> input or field name, or '=text'")]
    equals: Annotated[bool, Field(strict=True)] = True


@dataclass(frozen=True)
class Route:
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    when: Annotated[str, Field(description="a condition over the case's inputs and fields")]
    next: Annotated[str, Field(pattern=IDENTIFIER)]


@dataclass(frozen=True)
class TaskStep:
    """A person does something in a named system and confirms it."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    kind: Literal["task"]
    id: Annotated[str, Field(pattern=IDENTIFIER)]
    title: str
    system: str
    instructions: str
    title_en: str | None = None
    instructions_en: str | None = None
    source: SourceRef | None = None
    access: Access | None = None
    fields: list[Input] = field(default_factory=list)
    actions: Annotated[list[Action], Field(description="buttons; when empty, one button leads to `next`")] = field(
        default_factory=list
    )
    done_label: Annotated[str, Field(description="the single button's label when `actions` is empty")] = "Klart"
    done_label_en: str | None = "Done"
    next: Annotated[str | None, Field(pattern=IDENTIFIER)] = None
    performs: Perform | None = None

    def __post_init__(self) -> None:
        if bool(self.actions) == (self.next is not None):
            raise ValueError("a task needs either `next` or a list of `actions`, not both and not neither")


@dataclass(frozen=True)
class ChoiceStep:
    """The route depends on the case's data (`routes`) or on a question put to the person (`options`)."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    kind: Literal["choice"]
    id: Annotated[str, Field(pattern=IDENTIFIER)]
    title: str
    title_en: str | None = None
    source: SourceRef | None = None
    system: str | None = None
    question: str | None = None
    question_en: str | None = None
    access: Access | None = None
    options: list[Action] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    otherwise: Annotated[str | None, Field(pattern=IDENTIFIER, description="where to go when no route holds")] = None

    def __post_init__(self) -> None:
        if bool(self.options) == bool(self.routes):
            raise ValueError("a choice has either `options` (a question to the person) or `routes`, not both")
        if self.options and not self.question:
            raise ValueError("a choice with `options` needs the `question` to put to the person")
        if self.options and self.otherwise:
            raise ValueError("`otherwise` goes with `routes`, not with `options`")


@dataclass(frozen=True)
class WaitStep:
    """Until a condition holds in another system, asked of that system's adapter."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    kind: Literal["wait"]
    id: Annotated[str, Field(pattern=IDENTIFIER)]
    title: str
    system: str
    instructions: Annotated[str, Field(description="what the person checks when the manual adapter answers")]
    until: Query
    check_every: Annotated[str, Field(pattern=DURATION, description="how often to ask, e.g. 2m")]
    expected: Annotated[str, Field(pattern=DURATION, description="how long it normally takes, e.g. 15m for BER")]
    overdue_after: Annotated[str, Field(pattern=DURATION, description="when it counts as overdue, from its start")]
    next: Annotated[str, Field(pattern=IDENTIFIER)]
    title_en: str | None = None
    instructions_en: str | None = None
    source: SourceRef | None = None
    confirm_label: str = "Det är klart"
    confirm_label_en: str | None = "It is done"
    not_yet_label: str = "Inte ännu"
    not_yet_label_en: str | None = "Not yet"
    access: Access | None = None
    escalate_to: Annotated[
        list[str], Field(description="who else is told when the wait is overdue: e-mail addresses or e-mail inputs")
    ] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name in ("check_every", "expected", "overdue_after"):
            try:
                parse_duration(getattr(self, name))
            except ValueError as exc:
                raise ValueError(f"`{name}`: {exc}") from None
        if parse_duration(self.overdue_after) < parse_duration(self.expected):
            raise ValueError("`overdue_after` must not be shorter than `expected`")


@dataclass(frozen=True)
class CheckStep:
    """A rule that must hold, or the action that led here is refused with the rule's message.

    Either a named rule from the library (`rule` with `args`, which brings its own message and citation) or
    a `condition` of this procedure's own, with a `message` and the `cite`d sentence.
    """

    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    kind: Literal["check"]
    id: Annotated[str, Field(pattern=IDENTIFIER)]
    title: str
    next: Annotated[str, Field(pattern=IDENTIFIER)]
    rule: Annotated[str | None, Field(description="a rule of the library, see `rutin rules list`")] = None
    args: Annotated[dict[str, str] | None, Field(description="rule parameter -> input or field name, or '=text'")] = (
        None
    )
    condition: Annotated[str | None, Field(description="a condition of this procedure's own")] = None
    message: str | None = None
    message_en: str | None = None
    cite: Annotated[str | None, Field(description="the routine's sentence the condition comes from")] = None
    title_en: str | None = None
    source: SourceRef | None = None

    def __post_init__(self) -> None:
        if (self.rule is None) == (self.condition is None):
            raise ValueError("a check has either a `rule` (with `args`) or a `condition`, not both and not neither")
        if self.condition is not None and not (self.message and self.cite):
            raise ValueError("a check with a `condition` needs the `message` shown and the `cite`d sentence")
        if self.rule is not None and self.args is None:
            raise ValueError("a check with a `rule` needs `args` naming the values the rule checks")


@dataclass(frozen=True)
class NotifyStep:
    """A message from a template, written to the outbox in the same transaction as the step."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    kind: Literal["notify"]
    id: Annotated[str, Field(pattern=IDENTIFIER)]
    title: str
    to: Annotated[str, Field(description="an e-mail address, or the name of an e-mail input or field")]
    subject: str
    body: str
    next: Annotated[str, Field(pattern=IDENTIFIER)]
    title_en: str | None = None
    source: SourceRef | None = None
    include_personnummer: Annotated[
        bool, Field(strict=True, description="true only where the routine requires the full personnummer")
    ] = False


@dataclass(frozen=True)
class EndStep:
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    kind: Literal["end"]
    id: Annotated[str, Field(pattern=IDENTIFIER)]
    title: str
    title_en: str | None = None
    source: SourceRef | None = None
    outcome: str | None = None


AnyStep = TaskStep | ChoiceStep | WaitStep | CheckStep | NotifyStep | EndStep


@dataclass(frozen=True)
class Deadline:
    """A date the routine sets relative to a date of the case, with reminders before it.

    The deadline is met once the case reaches one of `met_at` (or ends); until then reminders go out
    `remind_before` it, and past it the case counts as overdue and `to` is told.
    """

    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    id: Annotated[str, Field(pattern=IDENTIFIER)]
    title: str
    date: Annotated[str, Field(description="a date input or field the deadline counts from, e.g. kursslut")]
    met_at: Annotated[list[str], Field(description="the steps that meet the deadline once the case reaches one")]
    offset: Annotated[
        int, Field(strict=True, ge=-366, le=366, description="days after the date (negative: before)")
    ] = 0
    working_days: Annotated[
        bool, Field(strict=True, description="count only Swedish working days (no weekends or public holidays)")
    ] = False
    remind_before: Annotated[
        list[int], Field(description="send reminders this many calendar days before the deadline")
    ] = field(default_factory=list)
    to: Annotated[
        list[str],
        Field(description="who is reminded: 'handlaggare' (the people on the case), e-mail addresses or e-mail inputs"),
    ] = field(default_factory=lambda: ["handlaggare"])
    title_en: str | None = None
    cite: str | None = None


@dataclass(frozen=True)
class Fact:
    """Something true in another system when a case starts, for the sandbox to simulate."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    system: str
    query: str
    args: Annotated[dict[str, str], Field(description="parameter -> input name, or '=text' for a fixed value")]
    value: Annotated[bool, Field(strict=True)] = True


@dataclass(frozen=True)
class Sandbox:
    """How the training sandbox looks when a case of this procedure starts."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    premise: list[Fact] = field(default_factory=list)


@dataclass(frozen=True)
class Procedure:
    """One routine: who may run it, what a case needs to start, and its steps (the first one starts)."""

    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID
    id: Annotated[str, Field(pattern=PROCEDURE_ID)]
    title: str
    access: Access
    steps: Annotated[
        list[
            Annotated[TaskStep | ChoiceStep | WaitStep | CheckStep | NotifyStep | EndStep, Field(discriminator="kind")]
        ],
        Field(min_length=1),
    ]
    title_en: str | None = None
    revision: Annotated[str | None, Field(description="the process owner's own version label")] = None
    routine: SourceRef | None = None
    inputs: list[Input] = field(default_factory=list)
    sandbox: Sandbox | None = None
    deadlines: list[Deadline] = field(default_factory=list)

    def step(self, step_id: str) -> AnyStep:
        return self._by_id[step_id]

    @cached_property
    def _by_id(self) -> dict[str, AnyStep]:
        return {s.id: s for s in self.steps}

    @property
    def first_step(self) -> str:
        return self.steps[0].id


MODELS: tuple[type, ...] = (
    Deadline,
    SourceRef,
    Access,
    Choice,
    Input,
    Action,
    Perform,
    Query,
    Route,
    TaskStep,
    ChoiceStep,
    WaitStep,
    CheckStep,
    NotifyStep,
    EndStep,
    Fact,
    Sandbox,
    Procedure,
)
STEP_CLASSES: dict[str, type] = {
    "task": TaskStep,
    "choice": ChoiceStep,
    "wait": WaitStep,
    "check": CheckStep,
    "notify": NotifyStep,
    "end": EndStep,
}


@dataclass(frozen=True)
class LoadedProcedure:
    """One version of a procedure: the validated model, its exact text, and that text's SHA-256."""

    procedure: Procedure
    text: str
    hash: str
    path: str
    data: dict[str, Any]  # the validated plain data, stored beside the text so a step need not re-validate
    warnings: list[Diagnostic] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.procedure.id

    @property
    def short_version(self) -> str:
        return self.hash[:12]


# -- rebuilding a stored, already validated procedure without pydantic --------------------------------


def procedure_from_data(data: dict[str, Any]) -> Procedure:
    """Rebuild a procedure from data that `engine.schema` validated before it was stored."""
    return Procedure(
        **{
            **data,
            "access": Access(**data["access"]),
            "steps": [_step(s) for s in data["steps"]],
            "routine": SourceRef(**data["routine"]) if data.get("routine") else None,
            "inputs": [_input(i) for i in data.get("inputs", [])],
            "sandbox": Sandbox([Fact(**f) for f in data["sandbox"].get("premise", [])])
            if data.get("sandbox")
            else None,
            "deadlines": [Deadline(**d) for d in data.get("deadlines", [])],
        }
    )


def _input(data: dict[str, Any]) -> Input:
    choices = data.get("choices")
    return Input(**{**data, "choices": [Choice(**c) for c in choices] if choices is not None else None})


def _step(data: dict[str, Any]) -> AnyStep:
    values = dict(data)
    nested: dict[str, Any] = {
        "source": lambda v: SourceRef(**v),
        "access": lambda v: Access(**v),
        "fields": lambda v: [_input(i) for i in v],
        "actions": lambda v: [Action(**a) for a in v],
        "options": lambda v: [Action(**a) for a in v],
        "routes": lambda v: [Route(**r) for r in v],
        "performs": lambda v: Perform(**v),
        "until": lambda v: Query(**v),
    }
    for key, build in nested.items():
        if values.get(key) is not None:
            values[key] = build(values[key])
    step: AnyStep = STEP_CLASSES[values["kind"]](**values)
    return step
