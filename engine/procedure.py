"""The procedure file format as pydantic models: what a process owner may write, and nothing else.

Every model is frozen and forbids unknown keys, so a misspelled key is an error instead of a silently
dropped guard. Step kinds form a discriminated union on `kind`. This module checks the shape of one
file; cross-references (targets, reachability, names in conditions and templates) are `checks.py`'s job.
`rutin procedures schema` exports `procedure_json_schema()` for editors.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from engine.duration import parse_duration

IDENTIFIER = r"^[a-z][a-z0-9_]{0,62}$"
Identifier = Annotated[
    str,
    Field(pattern=IDENTIFIER, description="lower-case ASCII letters, digits and _; starts with a letter"),
]
Duration = Annotated[str, Field(description="a duration such as 30s, 15m, 2h or 1d", examples=["15m"])]
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


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)


class SourceRef(Model):
    """Where in the written routine a step or procedure comes from (traceability for auditors)."""

    document: str | None = Field(None, description="the routine's title or file")
    version: str | None = Field(None, description="the routine's version or date")
    section: str | None = Field(None, description="heading or step number in the routine, e.g. 'Process, steg 6'")
    quote: str | None = Field(None, description="the sentence this step implements, as written")


class Access(Model):
    """Who may act: at least one of `roles` (when any are listed) and every one of `tasks`."""

    roles: list[str] = Field(default_factory=list, description="BER roles; holding any one of them is enough")
    tasks: list[str] = Field(default_factory=list, description="staff tasks (personalarbetsuppgift); all needed")


class Choice(Model):
    value: Identifier
    label: str
    label_en: str | None = None


class Input(Model):
    """A typed value: a case input given at start, or a field recorded when a step is done."""

    name: Identifier
    type: InputType
    label: str
    label_en: str | None = None
    help: str | None = None
    required: bool = True
    required_when: str | None = Field(
        None, description="a condition; the value is required only when it holds (then `required` is ignored)"
    )
    choices: list[Choice] | None = None

    @model_validator(mode="after")
    def _choices_match_type(self) -> Input:
        if self.type == "choice" and not self.choices:
            raise ValueError("an input of type 'choice' needs a list of `choices`")
        if self.type != "choice" and self.choices is not None:
            raise ValueError(f"`choices` only goes with type 'choice', not '{self.type}'")
        return self


class Action(Model):
    """A button the person presses: its name (used on the command line), label, and where it leads."""

    name: Identifier
    label: str
    label_en: str | None = None
    next: Identifier


class Perform(Model):
    """What the person's step changes in another system, so a sandbox can simulate it."""

    action: str
    args: dict[str, str] = Field(description="parameter -> input or field name")


class Query(Model):
    """A question asked of another system's adapter; the wait ends when the answer equals `equals`."""

    query: str
    args: dict[str, str] = Field(description="parameter -> input or field name")
    equals: bool = True


class StepBase(Model):
    id: Identifier
    title: str
    title_en: str | None = None
    source: SourceRef | None = None


class TaskStep(StepBase):
    """A person does something in a named system and confirms it."""

    kind: Literal["task"]
    system: str
    instructions: str
    instructions_en: str | None = None
    access: Access | None = None
    fields: list[Input] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list, description="buttons; when empty, one button leads to `next`")
    done_label: str = Field("Klart", description="the label of the single button when `actions` is empty")
    done_label_en: str | None = "Done"
    next: Identifier | None = None
    performs: Perform | None = None

    @model_validator(mode="after")
    def _one_way_on(self) -> TaskStep:
        if bool(self.actions) == (self.next is not None):
            raise ValueError("a task needs either `next` or a list of `actions`, not both and not neither")
        return self


class Route(Model):
    when: str = Field(description="a condition over the case's inputs and fields")
    next: Identifier


class ChoiceStep(StepBase):
    """The route depends on the case's data (`routes`) or on a question put to the person (`options`)."""

    kind: Literal["choice"]
    system: str | None = None
    question: str | None = None
    question_en: str | None = None
    access: Access | None = None
    options: list[Action] = Field(default_factory=list)
    routes: list[Route] = Field(default_factory=list)
    otherwise: Identifier | None = Field(None, description="where to go when no route's condition holds")

    @model_validator(mode="after")
    def _options_or_routes(self) -> ChoiceStep:
        if bool(self.options) == bool(self.routes):
            raise ValueError("a choice has either `options` (a question to the person) or `routes`, not both")
        if self.options and not self.question:
            raise ValueError("a choice with `options` needs the `question` to put to the person")
        if self.options and self.otherwise:
            raise ValueError("`otherwise` goes with `routes`, not with `options`")
        return self


class WaitStep(StepBase):
    """Until a condition holds in another system, asked of that system's adapter."""

    kind: Literal["wait"]
    system: str
    instructions: str = Field(description="what the person checks when the manual adapter answers")
    instructions_en: str | None = None
    until: Query
    check_every: Duration
    expected: Duration = Field(description="how long it normally takes, e.g. 15m for BER")
    overdue_after: Duration = Field(description="when the wait counts as overdue, from its start")
    confirm_label: str = "Det är klart"
    confirm_label_en: str | None = "It is done"
    not_yet_label: str = "Inte ännu"
    not_yet_label_en: str | None = "Not yet"
    access: Access | None = None
    next: Identifier

    @field_validator("check_every", "expected", "overdue_after")
    @classmethod
    def _is_duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @model_validator(mode="after")
    def _overdue_after_expected(self) -> WaitStep:
        if parse_duration(self.overdue_after) < parse_duration(self.expected):
            raise ValueError("`overdue_after` must not be shorter than `expected`")
        return self


class CheckStep(StepBase):
    """A rule that must hold, or the action that led here is refused with `message`."""

    kind: Literal["check"]
    condition: str
    message: str
    message_en: str | None = None
    cite: str = Field(description="the routine's sentence the rule comes from")
    next: Identifier


class NotifyStep(StepBase):
    """A message from a template, written to the outbox in the same transaction as the step."""

    kind: Literal["notify"]
    to: str = Field(description="an e-mail address, or the name of an e-mail input or field")
    subject: str
    body: str
    include_personnummer: bool = Field(
        False, description="true only where the routine requires the full personnummer in the message"
    )
    next: Identifier


class EndStep(StepBase):
    kind: Literal["end"]
    outcome: str | None = None


class Fact(Model):
    """Something true in another system when a case starts, for the sandbox to simulate."""

    system: str
    query: str
    args: dict[str, str] = Field(description="parameter -> input name, or '=text' for a fixed value")
    value: bool = True


class Sandbox(Model):
    """How the training sandbox looks when a case of this procedure starts."""

    premise: list[Fact] = Field(default_factory=list)


Step = Annotated[
    TaskStep | ChoiceStep | WaitStep | CheckStep | NotifyStep | EndStep,
    Field(discriminator="kind"),
]
STEP_KINDS = ("task", "choice", "wait", "check", "notify", "end")


class Procedure(Model):
    """One routine: who may run it, what a case needs to start, and its steps (the first one starts)."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,62}$")]
    title: str
    title_en: str | None = None
    revision: str | None = Field(None, description="the process owner's own version label")
    routine: SourceRef | None = None
    access: Access
    inputs: list[Input] = Field(default_factory=list)
    steps: list[Step] = Field(min_length=1)
    sandbox: Sandbox | None = None

    def step(self, step_id: str) -> TaskStep | ChoiceStep | WaitStep | CheckStep | NotifyStep | EndStep:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)

    @property
    def first_step(self) -> str:
        return self.steps[0].id


AnyStep = TaskStep | ChoiceStep | WaitStep | CheckStep | NotifyStep | EndStep


def procedure_json_schema() -> dict[str, object]:
    schema = Procedure.model_json_schema()
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    schema["title"] = "Rutin procedure"
    return schema
