"""The only module that imports `transitions`: one Machine per procedure version, shared by its cases.

A procedure's steps become states and its buttons, routes and automatic moves become triggers. Cases are
not added to the machine (that would not scale); each move fires the trigger on a throw-away model that
carries the case's state and data. Names were checked at load (transitions checks them only when an event
fires), so a trigger that is not possible here is a plain `None`, never a surprise.

Most moves (a button, an option, a notification passing on) have one transition without a condition: the
machine's answer for that step and trigger cannot depend on the case, so it is kept after the machine has
given it once. A move whose answer depends on the case's data (a route, a check) fires the machine every time.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from transitions import Machine

from engine.expression import Expression, parse_expression
from engine.procedure import CheckStep, ChoiceStep, NotifyStep, Procedure, TaskStep, WaitStep
from engine.rules.base import RuleSwitches

ROUTE = "_route"  # a choice decided by the case's data
CHECK = "_check"  # a rule that must hold
PASS = "_pass"  # a notification was written
SATISFIED = "_satisfied"  # another system answered that the wait is over
NOT_YET = "inte_annu"  # the person says the wait is not over yet
AUTOMATIC = frozenset({ROUTE, CHECK, PASS})
NO_SWITCHES = RuleSwitches()


class _Model:
    __slots__ = ("data", "state", "switches")

    def __init__(self, state: str, data: Mapping[str, Any], switches: RuleSwitches) -> None:
        self.state = state
        self.data = data
        self.switches = switches


def _rule_holds(step: CheckStep) -> Any:
    from engine.rules import judge

    assert step.rule is not None and step.args is not None
    rule_id, args = step.rule, step.args

    def condition(event: Any) -> bool:
        return judge(rule_id, args, event.model.data, event.model.switches)[0].ok

    return condition


def _holds(expr: Expression) -> Any:
    def condition(event: Any) -> bool:
        return expr.holds(event.model.data)

    return condition


class CompiledMachine:
    def __init__(self, procedure: Procedure) -> None:
        self.procedure = procedure
        self._machine = Machine(
            model=None,
            states=[s.id for s in procedure.steps],
            initial=procedure.first_step,
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=False,
        )
        for step in procedure.steps:
            self._add(step)
        # (state, trigger) -> the state the machine moved to; only for moves whose answer cannot vary
        self._answers: dict[tuple[str, str], str | None] = {}
        self._fixed = self._fixed_moves()

    def _fixed_moves(self) -> frozenset[tuple[str, str]]:
        """The moves whose answer the machine gives regardless of the case: the first transition it would try has
        no condition, and the machine runs no callbacks (the machine is built without any; checked, not assumed)."""
        machine = self._machine
        if any(
            (machine.prepare_event, machine.finalize_event, machine.before_state_change, machine.after_state_change)
        ) or any(state.on_enter or state.on_exit for state in machine.states.values()):
            return frozenset()
        fixed = set()
        for name, event in machine.events.items():
            for state, transitions in event.transitions.items():
                first = transitions[0] if transitions else None
                if first is not None and not (first.conditions or first.prepare or first.before or first.after):
                    fixed.add((state, name))
        return frozenset(fixed)

    def _add(self, step: Any) -> None:
        add = self._machine.add_transition
        if isinstance(step, TaskStep):
            if step.next:
                add(step.id, step.id, step.next)  # one button: its name is the step id
            for action in step.actions:
                add(action.name, step.id, action.next)
        elif isinstance(step, ChoiceStep):
            for option in step.options:
                add(option.name, step.id, option.next)
            for route in step.routes:
                add(ROUTE, step.id, route.next, conditions=[_holds(parse_expression(route.when))])
            if step.otherwise:
                add(ROUTE, step.id, step.otherwise)
        elif isinstance(step, WaitStep):
            add(SATISFIED, step.id, step.next)
            add(step.id, step.id, step.next)  # the person confirms (manual adapter)
            add(NOT_YET, step.id, None)  # internal: stays at the wait
        elif isinstance(step, CheckStep):
            holds = _rule_holds(step) if step.rule else _holds(parse_expression(step.condition or ""))
            add(CHECK, step.id, step.next, conditions=[holds])
        elif isinstance(step, NotifyStep):
            add(PASS, step.id, step.next)

    def triggers(self, state: str) -> list[str]:
        return [t for t in self._machine.get_triggers(state) if t in self._machine.events]

    def fire(
        self, state: str, trigger: str, data: Mapping[str, Any], switches: RuleSwitches = NO_SWITCHES
    ) -> str | None:
        """The state after `trigger` from `state`, or None when it is not possible or no condition holds."""
        key = (state, trigger)
        answers = self._answers
        if key in answers:
            return answers[key]
        event = self._machine.events.get(trigger)
        if event is None or state not in event.transitions:
            return None
        model = _Model(state, data, switches)
        target = model.state if event.trigger(model) else None
        if key in self._fixed:
            answers[key] = target
        return target


class MachineCache:
    """Compiled machines by procedure hash, bounded so memory does not grow with versions in use."""

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._items: OrderedDict[str, CompiledMachine] = OrderedDict()

    def get(self, key: str, procedure: Procedure) -> CompiledMachine:
        machine = self._items.get(key)
        if machine is None:
            machine = CompiledMachine(procedure)
            self._items[key] = machine
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        else:
            self._items.move_to_end(key)
        return machine
