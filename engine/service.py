"""The application layer: what the CLI, the web and the worker may do, with every rule enforced here.

Each public method is one use case (start, show, do, list, sweep, ...). It resolves the acting user,
checks access, runs the pure core (`engine.step`) and hands the outcome to the ports in one transaction.
Front ends stay thin: they parse arguments and print views, and never talk to the store themselves.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, overload

from engine.access import WORKER, User, check_user, describe_access, may_act
from engine.case import Case, DisplayStatus
from engine.errors import ActionRefused, AdapterError, NotFound, ProcedureInvalid, RutinError
from engine.history import Event
from engine.machine import NO_SWITCHES, CompiledMachine, MachineCache
from engine.personnummer import SWEDEN
from engine.ports import CaseFilter, CaseStore, Clock, OutboxItem, ProcedureSource
from engine.procedure import LoadedProcedure, procedure_from_data
from engine.rules.base import RuleSwitches
from engine.step import (
    MailDraft,
    Move,
    Outcome,
    PerformRequest,
    advance,
    refusal_event,
    resolve_arg,
    start_case,
)
from engine.systems import Systems
from engine.views import CaseView, Lang, case_view

if TYPE_CHECKING:
    from engine.audit import ReplayReport, VerifyReport
    from engine.deadlines import Timer
    from engine.history import ChainProblem
    from engine.pages import AuditPage, CaseList, CasePage, ProcedureSummary, StartForm
    from engine.procedure import Procedure
    from engine.sweep import SweepReport

NewId = Callable[[], str]


def mail_item(case_id: str, seq: int, key: str, mail: MailDraft, at: datetime) -> OutboxItem:
    """An outbox row for a mail; the Message-ID comes from the key, so every attempt carries the same one."""
    payload: dict[str, Any] = {
        "to": mail.to,
        "subject": mail.subject,
        "body": mail.body,
        "step": mail.step,
        "message_id": f"<{key}@rutin.invalid>",
    }
    return OutboxItem(None, case_id, seq, "mail", payload, at, key)


def canonical_json(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O or 1/I: ids are read aloud and typed


def random_case_id() -> str:
    return "R-" + "".join(secrets.choice(_ALPHABET) for _ in range(8))


class Rutin:
    def __init__(
        self,
        store: CaseStore,
        source: ProcedureSource,
        systems: Systems,
        clock: Clock,
        *,
        lang: Lang = "sv",
        new_id: NewId = random_case_id,
        switches: RuleSwitches = NO_SWITCHES,
    ) -> None:
        self.store = store
        self.source = source
        self.systems = systems
        self.clock = clock
        self.lang = lang
        self._new_id = new_id
        self.switches = switches
        self._machines = MachineCache()
        self._pinned: dict[str, LoadedProcedure] = {}
        # procedure versions already verified, by (hash, stored text, stored data): the check is a pure function of them
        self._verified: dict[tuple[str, str, str], list[ChainProblem]] = {}
        self._current: dict[tuple[str, str], LoadedProcedure] = {}

    # -- time and people ----------------------------------------------------------------------------

    def now(self) -> datetime:
        moment = self.clock.now()
        if moment.tzinfo is None:
            raise RutinError(
                "the clock gave a time without a time zone", "give --now with a zone, e.g. 2024-06-01T10:00+02:00"
            )
        return moment.astimezone(UTC)

    def user(self, name: str) -> User:
        user = self.store.get_user(name)
        if user is None:
            raise NotFound(
                f"unknown user '{name}'",
                "act as a known user with --as NAME (or RUTIN_USER); an administrator adds users with "
                "`rutin users add`",
                sv=(
                    f"okänd användare '{name}'",
                    "arbeta som en känd användare med --as NAMN (eller RUTIN_USER); en administratör lägger till "
                    "användare med `rutin users add`",
                ),
            )
        return user

    # -- procedures ---------------------------------------------------------------------------------

    def current(self, procedure_id: str) -> LoadedProcedure:
        """The procedure as its file reads now, validated (this imports the loader, YAML and pydantic)."""
        from engine.loader import load_procedure_text

        text, path = self.source.text(procedure_id)
        key = (path, text)
        loaded = self._current.get(key)
        if loaded is None:  # parse and validate once per text; the file is still read every time, to see edits
            loaded = load_procedure_text(text, path)
            if len(self._current) > 64:
                self._current.clear()
            self._current[key] = loaded
        return loaded

    def pinned(self, procedure_hash: str) -> LoadedProcedure:
        """The version a case runs on, rebuilt from its stored validated data (no YAML, no pydantic)."""
        loaded = self._pinned.get(procedure_hash)
        if loaded is None:
            text, data = self.store.procedure_version(procedure_hash)
            procedure = procedure_from_data(json.loads(data))
            loaded = LoadedProcedure(
                procedure, text, procedure_hash, f"<stored {procedure_hash[:12]}>", json.loads(data)
            )
            if len(self._pinned) > 64:
                self._pinned.clear()
            self._pinned[procedure_hash] = loaded
        return loaded

    def procedures(self) -> list[LoadedProcedure | ProcedureInvalid]:
        """Every procedure file, loaded; a file that fails, or repeats an earlier file's id, as its errors."""
        return [each[1] if isinstance(each, tuple) else each for each in self.loaded_files()]

    # -- cases --------------------------------------------------------------------------------------

    def start(self, procedure_id: str, inputs: Mapping[str, object], actor: str) -> CaseView:
        user = self.user(actor)
        loaded = self.current(procedure_id)
        now = self.now()
        if not may_act(user, loaded.procedure.access):
            reason = f"{user.name} may not start '{loaded.id}': it needs {describe_access(loaded.procedure.access)}"
            self.store.append_system_event(user.name, now, "start_refused", {"procedure": loaded.id, "reason": reason})
            raise ActionRefused(
                reason,
                "ask an administrator for the role",
                recorded=True,
                sv=(
                    f"{user.name} får inte starta '{loaded.procedure.title}': det kräver "
                    f"{describe_access(loaded.procedure.access, 'sv')}",
                    "be en administratör om behörigheten",
                ),
            )
        machine = self._machines.get(loaded.hash, loaded.procedure)
        try:
            outcome = start_case(
                loaded, machine, self._new_id(), inputs, user.name, now, self.systems.manual, switches=self.switches
            )
        except ActionRefused as refused:
            self._translate(refused)
            self.store.append_system_event(
                user.name,
                now,
                "start_refused",
                {"procedure": loaded.id, "reason": refused.message, "rule": refused.rule},
            )
            raise
        self.store.save_procedure_version(loaded.hash, loaded.id, loaded.text, canonical_json(loaded.data), now)
        items = self.outbox(outcome) + self._premise(loaded, outcome.case, now)
        self.store.create_case(outcome.case, outcome.events, items, self.timers(loaded, outcome.case))
        self.perform_now(items)
        return self.show(outcome.case.id, actor)

    def show(self, case_id: str, actor: str) -> CaseView:
        self.user(actor)
        case = self.store.load_case(case_id)
        return self.view(case)

    def view(self, case: Case) -> CaseView:
        return case_view(self.pinned(case.procedure_hash), case, self.now(), self.systems.manual, self.lang)

    @overload
    def do(
        self, case_id: str, action: str, fields: Mapping[str, object], actor: str, *, show: Literal[True] = True
    ) -> CaseView: ...

    @overload
    def do(
        self, case_id: str, action: str, fields: Mapping[str, object], actor: str, *, show: Literal[False]
    ) -> Case: ...

    def do(
        self, case_id: str, action: str, fields: Mapping[str, object], actor: str, *, show: bool = True
    ) -> CaseView | Case:
        """Do an action at the case's step as the actor: the view of the case after it, or with `show=False` the
        case as stored (for callers that show nothing: the view costs as much as a tenth of the step)."""
        found, case = self.store.load_step(case_id, actor)  # one read for both: this is every step's hot path
        user = found or self.user(actor)
        loaded = self.pinned(case.procedure_hash)
        now = self.now()
        if case.status != "done":
            step = loaded.procedure.step(case.state)
            access = getattr(step, "access", None) or loaded.procedure.access
            if not may_act(user, access):
                reason = f"{user.name} may not act at step '{step.id}': it needs {describe_access(access)}"
                self.store.append_refusal(case, refusal_event(case, user.name, now, action, reason, {}))
                raise ActionRefused(
                    reason,
                    "ask someone who holds the role, or an administrator",
                    state=case.state,
                    recorded=True,
                    sv=(
                        f"{user.name} får inte utföra steget '{step.title}': "
                        f"det kräver {describe_access(access, 'sv')}",
                        "be någon som har behörigheten, eller en administratör",
                    ),
                )
        machine = self._machines.get(loaded.hash, loaded.procedure)
        try:
            move = Move(action, user.name, now, fields)
            outcome = advance(loaded, machine, case, move, self.systems.manual, switches=self.switches)
        except ActionRefused as refused:
            self._translate(refused)
            if refused.recorded:
                extra = {"rule": refused.rule, "cite": refused.cite, "fields": {k: str(v) for k, v in fields.items()}}
                self.store.append_refusal(case, refusal_event(case, user.name, now, action, refused.message, extra))
            elif refused.state is not None:
                raise self._moved_on(case, action, refused) from None
            raise
        items = self.outbox(outcome)
        self.store.commit(case, outcome.case, outcome.events, items, self.timers(loaded, outcome.case))
        self.perform_now(items)
        return self.view(outcome.case) if show else outcome.case

    def _translate(self, refused: ActionRefused) -> None:
        if self.lang in refused.translations:
            refused.message = refused.translations[self.lang]
            refused.args = (refused.message,)

    def _moved_on(self, case: Case, action: str, refused: ActionRefused) -> ActionRefused:
        """Say plainly when the action belongs to a step someone already did."""
        for event in reversed(self.store.events(case.id)):
            if event.action == action and event.kind in ("step_done", "wait_confirmed", "wait_satisfied"):
                when = event.at.astimezone(SWEDEN).strftime("%Y-%m-%d %H:%M")
                return ActionRefused(
                    f"the case has moved on: '{action}' at step '{event.step}' was already done by {event.actor} "
                    f"at {when}; it is now at step '{case.state}'",
                    "show the case to see what is to be done now",
                    state=case.state,
                    sv=(
                        f"ärendet har redan gått vidare: '{action}' i steget '{event.step}' gjordes av {event.actor} "
                        f"{when}; nu står det vid steget '{case.state}'",
                        "visa ärendet för att se vad som ska göras nu",
                    ),
                )
        return refused

    def list_cases(
        self, actor: str, status: DisplayStatus | None = None, procedure_id: str | None = None, limit: int = 200
    ) -> list[CaseView]:
        self.user(actor)
        cases = self.store.list_cases(CaseFilter(status, procedure_id, limit), self.now())
        return [self.view(c) for c in cases]

    # -- effects ------------------------------------------------------------------------------------

    def machine(self, loaded: LoadedProcedure) -> CompiledMachine:
        return self._machines.get(loaded.hash, loaded.procedure)

    def people_on(self, case: Case) -> list[str]:
        """The e-mail addresses of the people who started or acted on the case (who get its reminders)."""
        names = [case.created_by, *(e.actor for e in self.store.events(case.id) if e.actor != WORKER)]
        addresses = []
        for name in dict.fromkeys(names):
            user = self.store.get_user(name)
            if user is not None and user.email:
                addresses.append(user.email)
        return addresses

    def outbox(self, outcome: Outcome) -> list[OutboxItem]:
        case = outcome.case
        seq = outcome.events[-1].seq
        items = [self._mail_item(case, seq, i, m) for i, m in enumerate(outcome.mails)]
        items += [
            self._perform_item(case, seq, i, p)
            for i, p in enumerate(outcome.performs)
            if self.systems.adapter_for(p.system).simulates  # a person changes a real system: nothing to simulate
        ]
        return items

    def perform_now(self, items: list[OutboxItem]) -> None:
        """Hand just-committed simulated actions to their adapter; one that fails stays for the worker's sweep."""
        for item in items:
            if item.kind != "perform":
                continue
            try:
                self.systems.adapter_for(str(item.payload["system"])).perform(item)
            except AdapterError:
                continue
            # the row stays pending until the worker's next dispatch marks it: performing is idempotent, and
            # leaving the mark to the worker keeps a second write transaction off every step

    def _mail_item(self, case: Case, seq: int, index: int, mail: MailDraft) -> OutboxItem:
        return mail_item(case.id, seq, f"{case.id}.{seq}.{index}.{mail.step}", mail, self.now())

    def timers(self, loaded: LoadedProcedure, case: Case) -> list[Timer]:
        """The deadline timers the case calls for now (none for a procedure without deadlines)."""
        if not loaded.procedure.deadlines:
            return []
        from engine.deadlines import plan_timers

        now = self.now()
        # a reminder whose moment has passed by the time the case gets its date would only arrive late
        return [t for t in plan_timers(loaded.procedure, case) if t.kind == "deadline" or t.fire_at > now]

    def _perform_item(self, case: Case, seq: int, index: int, perform: PerformRequest) -> OutboxItem:
        key = f"{case.id}.{seq}.p{index}.{perform.step}"
        payload: dict[str, Any] = {"system": perform.system, "action": perform.action, "args": perform.args}
        return OutboxItem(None, case.id, seq, "perform", payload, case.updated_at, key)

    def _premise(self, loaded: LoadedProcedure, case: Case, now: datetime) -> list[OutboxItem]:
        premise = loaded.procedure.sandbox.premise if loaded.procedure.sandbox else []
        items = []
        for i, fact in enumerate(premise):
            if not self.systems.adapter_for(fact.system).simulates:
                continue
            args = {p: resolve_arg(n, case.data) for p, n in fact.args.items()}
            payload: dict[str, Any] = {
                "system": fact.system,
                "action": "fact",
                "query": fact.query,
                "args": args,
                "value": fact.value,
            }
            items.append(OutboxItem(None, case.id, 1, "perform", payload, now, f"{case.id}.premise.{i}"))
        return items

    def dispatch(self, case_id: str | None = None, limit: int = 500) -> int:
        """Hand pending simulated actions to their system's adapter; each is marked done once applied."""
        done = 0
        for item in self.store.pending_outbox("perform", self.now(), limit, case_id):
            adapter = self.systems.adapter_for(str(item.payload["system"]))
            try:
                adapter.perform(item)
            except AdapterError:
                self.store.mark_outbox(item.id or 0, "pending", item.attempts + 1)
                continue
            self.store.mark_outbox(item.id or 0, "done", item.attempts + 1)
            done += 1
        return done

    # -- moving cases to a new version of their procedure -------------------------------------------

    def migrate(self, case_id: str, actor: str, reason: str) -> CaseView:
        """Move an open case to the procedure as its file reads now, if none of what changed has run for it.

        Only an administrator (a process owner) may; the move is an event in the case's history with who and why,
        and an unsafe move is refused with the reasons, also recorded.
        """
        import json as _json

        from engine.evolution import assess_migration, diff_procedures
        from engine.step import migrate

        user = self.user(actor)
        if not user.admin:
            raise ActionRefused(
                f"{actor} may not move cases to a new procedure version",
                "ask a process owner (an administrator)",
                sv=(
                    f"{actor} får inte flytta ärenden till en ny version av rutinen",
                    "be en processägare (administratör)",
                ),
            )
        if not reason.strip():
            raise ActionRefused(
                "say why the case is moved",
                "give --reason TEXT",
                sv=("ange varför ärendet flyttas", "ange --reason TEXT"),
            )
        case = self.store.load_case(case_id)
        if case.status == "done":
            raise ActionRefused(
                f"case {case.id} is finished; it stays on its version",
                sv=(f"ärendet {case.id} är avslutat och stannar på sin version", None),
            )
        new = self.current(case.procedure_id)
        if new.hash == case.procedure_hash:
            raise ActionRefused(
                f"case {case.id} already runs on the file's version {new.short_version}",
                sv=(f"ärendet {case.id} går redan på filens version {new.short_version}", None),
            )
        _text, data = self.store.procedure_version(case.procedure_hash)
        old = procedure_from_data(_json.loads(data))
        verdict = assess_migration(case.route, case.state, diff_procedures(old, new.procedure), new.procedure)
        now = self.now()
        if not verdict.safe or verdict.new_state is None:
            reasons_en, reasons_sv = "; ".join(verdict.reasons_en), "; ".join(verdict.reasons_sv)
            self.store.append_refusal(
                case, refusal_event(case, user.name, now, "migrate", reasons_en, {"to": new.hash, "reason": reason})
            )
            raise ActionRefused(
                f"case {case.id} cannot move safely: {reasons_en}",
                state=case.state,
                recorded=True,
                sv=(f"ärendet {case.id} kan inte flyttas säkert: {reasons_sv}", None),
            )
        outcome = migrate(case, new, verdict.new_state, user.name, now, reason)
        self.store.save_procedure_version(new.hash, new.id, new.text, canonical_json(new.data), now)
        self.store.commit(case, outcome.case, outcome.events, [], self.timers(new, outcome.case))
        return self.view(outcome.case)

    # -- the worker's sweep -------------------------------------------------------------------------

    def sweep(self, limit: int = 1000, owner: str = "rutin-once") -> SweepReport:
        """One pass over what is due: simulated actions, waits to re-check or mark overdue, deadline timers."""
        from engine.sweep import sweep

        return sweep(self, limit=limit, owner=owner)

    # -- audit --------------------------------------------------------------------------------------

    def history(self, case_id: str, actor: str) -> tuple[Case, list[Event]]:
        self.user(actor)
        case = self.store.load_case(case_id)
        return case, self.store.events(case_id)

    def replay(self, case_id: str, actor: str) -> ReplayReport:
        return self._replay(*self.history(case_id, actor))

    def _replay(self, case: Case, events: list[Event]) -> ReplayReport:
        from engine.audit import replay_case

        def load(version: str) -> tuple[LoadedProcedure, CompiledMachine]:
            loaded = self.pinned(version)
            return loaded, CompiledMachine(loaded.procedure)

        return replay_case(case, events, load)

    def verify(self, actor: str, case_id: str | None = None) -> VerifyReport:
        from engine.audit import VerifyReport

        self.user(actor)
        report = VerifyReport()
        if case_id is None:
            for stream, version, head in self.store.streams():
                self._verify_chain(report, stream, self.store.events(stream), (version, head))
            for procedure_hash in self.store.procedure_hashes():
                self._verify_version(report, procedure_hash)
            return report
        case = self.store.load_case(case_id)  # NotFound for an unknown case
        self._verify_case(report, case, self.store.events(case_id))
        return report

    def _verify_case(self, report: VerifyReport, case: Case, events: list[Event]) -> None:
        """One case's chain, checked against its stream's head, and the procedure version it runs on."""
        head = self.store.stream_head(case.id)
        if head is None:
            raise NotFound(
                f"there is no case '{case.id}'",
                "see the cases with `rutin case list`",
                sv=(f"det finns inget ärende '{case.id}'", "se ärendena med `rutin case list`"),
            )
        self._verify_chain(report, case.id, events, head)
        self._verify_version(report, case.procedure_hash)

    def _verify_chain(self, report: VerifyReport, stream: str, events: list[Event], head: tuple[int, str]) -> None:
        from engine.audit import verify_stream

        verify_stream(report, stream, events, *head)

    def _verify_version(self, report: VerifyReport, procedure_hash: str) -> None:
        from engine.audit import VerifyReport, verify_procedure_version

        text, data = self.store.procedure_version(procedure_hash)
        key = (procedure_hash, text, data)
        if key not in self._verified:
            checked = VerifyReport()
            verify_procedure_version(checked, *key)
            self._verified[key] = checked.problems
        report.procedures += 1
        report.problems.extend(self._verified[key])

    def export(self, case_id: str, fmt: str, actor: str) -> str:
        from engine.audit import export_history

        case, events = self.history(case_id, actor)
        return export_history(case, events, fmt)

    # -- users --------------------------------------------------------------------------------------

    def save_user(self, user: User, actor: str, *, replace: bool = True) -> User | None:
        """Add or change a user; returns the user as it was before (None when new). Only an administrator may,
        except for the very first user. With `replace=False` an existing user is refused, not overwritten."""
        check_user(user)
        existing = self.store.list_users()
        if not existing:
            first = dataclasses.replace(user, admin=True)  # the very first user administers the rest
            if self.store.save_user(first, actor, self.now(), only_if_first=True):
                return None
            existing = self.store.list_users()  # someone else's first user came first: the usual rules now apply
        admin = self.user(actor)
        if not admin.admin:
            raise ActionRefused(
                f"{actor} is not an administrator and may not add or change users",
                "ask an administrator (a user added with --admin)",
                sv=(
                    f"{actor} är inte administratör och får inte lägga till eller ändra användare",
                    "be en administratör (en användare som lades till med --admin)",
                ),
            )
        twin = next(
            (u.name for u in existing if u.name != user.name and u.name.casefold() == user.name.casefold()), None
        )
        if twin is not None:
            raise ActionRefused(
                f"there is already a user '{twin}'; '{user.name}' differs only in upper and lower case",
                f"change '{twin}' instead, or choose a name that differs in more than case",
                sv=(
                    f"det finns redan en användare '{twin}'; '{user.name}' skiljer sig bara i stora och små bokstäver",
                    f"ändra '{twin}' i stället, eller välj ett namn som skiljer sig på annat sätt",
                ),
            )
        before = next((u for u in existing if u.name == user.name), None)
        if before is not None and not replace:
            raise ActionRefused(
                f"there is already a user '{user.name}'",
                "add --replace to replace their roles, tasks, name and e-mail with the ones given",
                sv=(
                    f"det finns redan en användare '{user.name}'",
                    "lägg till --replace för att ersätta användarens roller, uppgifter, namn och e-post med de angivna",
                ),
            )
        self.store.save_user(user, actor, self.now())
        return before

    def users(self, actor: str) -> list[User]:
        self.user(actor)
        return self.store.list_users()

    def counts(self, actor: str) -> dict[DisplayStatus, int]:
        self.user(actor)
        return self.store.count_cases(self.now())

    # -- the web app: what a signed-in person may see, comments, filtered lists, procedure overview ----------
    # The CLI's show/history/export serve whoever runs the command on the server; the web serves people with
    # different roles, so these methods also decide who may see a case, an audit or the procedures overview.

    def loaded_files(self) -> list[LoadedProcedure | tuple[str, ProcedureInvalid]]:
        """Every procedure file, validated once per text (a valid one as loaded; an invalid one with its path)."""
        found: list[LoadedProcedure | tuple[str, ProcedureInvalid]] = []
        for text, path in self.source.all():
            loaded = self._current.get((path, text))
            if loaded is None:
                from engine.loader import load_procedure_text

                try:
                    loaded = load_procedure_text(text, path)
                except ProcedureInvalid as exc:
                    found.append((path, exc))
                    continue
                self._current[(path, text)] = loaded
            found.append(loaded)
        from engine.loader import duplicate_ids

        twice = duplicate_ids([each for each in found if not isinstance(each, tuple)])
        return [
            (each.path, twice[each.path]) if not isinstance(each, tuple) and each.path in twice else each
            for each in found
        ]

    def visible_procedures(self, actor: str) -> list[LoadedProcedure]:
        """The valid procedures whose cases the person may see (to filter lists by), by title."""
        from engine.access import may_see_case

        user = self.user(actor)
        loaded = [p for p in self.loaded_files() if isinstance(p, LoadedProcedure)]
        return sorted(
            (p for p in loaded if may_see_case(user, p.procedure)), key=lambda p: p.procedure.title.casefold()
        )

    def startable(self, actor: str) -> list[LoadedProcedure]:
        """The valid procedures the person may start, by title."""
        from engine.access import may_act as allowed

        user = self.user(actor)
        loaded = [p for p in self.loaded_files() if isinstance(p, LoadedProcedure)]
        return sorted(
            (p for p in loaded if allowed(user, p.procedure.access)), key=lambda p: p.procedure.title.casefold()
        )

    def start_form(self, procedure_id: str, actor: str) -> StartForm:
        """The inputs a new case of the procedure asks for, as form fields."""
        from engine.access import NotAllowed, describe_access
        from engine.access import may_act as allowed
        from engine.pages import StartForm
        from engine.views import field_view, pick

        user = self.user(actor)
        procedure = self.current(procedure_id).procedure
        if not allowed(user, procedure.access):  # the form is not shown to whom starting would be refused
            raise NotAllowed(
                f"{user.name} may not start '{procedure.id}': it needs {describe_access(procedure.access)}",
                "ask an administrator for the role",
                sv=(
                    f"{user.name} får inte starta '{procedure.title}': det kräver "
                    f"{describe_access(procedure.access, 'sv')}",
                    "be en administratör om behörigheten",
                ),
            )
        lang = self.lang
        return StartForm(
            procedure.id,
            pick(procedure.title, procedure.title_en, lang),
            [field_view(spec, lang) for spec in procedure.inputs],
        )

    def my_cases(
        self,
        actor: str,
        *,
        statuses: tuple[DisplayStatus, ...] = ("overdue", "open"),
        procedure_id: str | None = None,
        group: str | None = None,
        student: str | None = None,
        page: int = 1,
        per_page: int = 50,
    ) -> CaseList:
        """The cases the person may see, urgent first, one page at a time.

        Student and group are parsed as the CLI parses them (a bad personnummer is an InvalidValue naming the
        filter) and matched against every input and field of that type in any procedure.
        """
        from engine.access import is_auditor, may_act_at, may_see_case
        from engine.pages import CaseList, ListedCase
        from engine.values import parse_value

        user = self.user(actor)
        if page < 1 or not 1 <= per_page <= 500:
            raise RutinError("the page must be 1 or more, and a page 1 to 500 cases", "use page=1")
        # an interim number (a student without a personnummer yet) is a student too
        student_value = str(parse_value("student", "interim_or_personnummer", student)) if student else None
        group_value = str(parse_value("group", "group", group)) if group else None
        loaded = [p for p in self.loaded_files() if isinstance(p, LoadedProcedure)]
        visible = None if is_auditor(user) else tuple(p.id for p in loaded if may_see_case(user, p.procedure))
        typed = [spec for p in loaded for spec in self._typed_inputs(p.procedure)]
        flt = CaseFilter(
            None,
            procedure_id or None,
            per_page + 1,  # one more than a page: whether there is a next page, without counting
            statuses=statuses,
            procedure_ids=visible,
            student=student_value,
            student_fields=tuple(sorted({n for n, t in typed if t in ("personnummer", "interim_or_personnummer")})),
            group=group_value,
            group_fields=tuple(sorted({n for n, t in typed if t == "group"})),
            offset=(page - 1) * per_page,
            urgent_first=True,
        )
        found = self.store.list_cases(flt, self.now())
        listed = []
        for case in found[:per_page]:
            procedure = self.pinned(case.procedure_hash).procedure
            if not may_see_case(user, procedure):  # an older version may have asked for other roles
                continue
            may = case.status != "done" and may_act_at(user, procedure, case.state)
            listed.append(ListedCase(self.view(case), may))
        return CaseList(listed, page, len(found) > per_page)

    def case_page(self, case_id: str, actor: str) -> CasePage:
        """The case as its page shows it; ActionRefused when it is not for this person's eyes."""
        from engine.access import may_act_at
        from engine.pages import CasePage

        user = self.user(actor)
        case = self.store.load_case(case_id)
        procedure = self._visible(user, case)
        events = self.store.events(case_id)
        refusals = [e for e in reversed(events) if e.kind == "refused" and e.state == case.state]
        may = case.status != "done" and may_act_at(user, procedure, case.state)
        return CasePage(self.view(case), may, events, refusals)

    def comment(self, case_id: str, text: str, actor: str) -> Event:
        """Add a comment to the case's history. Someone who may not see the case is refused, and that is recorded."""
        from engine.comments import comment_event, comment_text
        from engine.errors import StaleCase

        user = self.user(actor)
        cleaned = comment_text(text)
        for _attempt in range(5):  # a comment is not tied to a step: when the case moved meanwhile, add it after
            case = self.store.load_case(case_id)
            self._visible(user, case, record_as="comment")
            event = comment_event(case, user.name, self.now(), cleaned)
            try:
                self.store.append_note(case, event)
            except StaleCase:
                continue
            return event
        raise RutinError(
            f"case {case_id} kept changing while the comment was saved; nothing was saved",
            "send the comment again",
            sv=(f"ärendet {case_id} ändrades hela tiden medan kommentaren sparades; inget sparades", "skicka igen"),
        )

    def audit_page(self, case_id: str, actor: str) -> AuditPage:
        """A case's replay and its chain's verification, for auditors and administrators."""
        from engine.audit import VerifyReport
        from engine.pages import AuditPage

        self._auditor(actor)
        case = self.store.load_case(case_id)
        events = self.store.events(case_id)  # read once: verified, replayed and shown
        report = VerifyReport()
        self._verify_case(report, case, events)
        return AuditPage(self.view(case), self._replay(case, events), report, events)

    def audit_export(self, case_id: str, fmt: str, actor: str) -> str:
        return self.export(case_id, fmt, self._auditor(actor).name)

    def procedure_overview(self, actor: str, only: str | None = None) -> list[ProcedureSummary]:
        """Every procedure file (or `only` the one with that id) with its validation problems, stored versions and
        open cases per version and step."""
        from pathlib import Path

        from engine.access import NotAllowed, is_process_owner
        from engine.pages import ProcedureSummary, StepCount, VersionSummary
        from engine.views import pick

        user = self.user(actor)
        if not is_process_owner(user):
            raise NotAllowed(
                f"{user.name} may not see the procedures overview: it is for process owners and administrators",
                "ask an administrator for the staff task 'Processägare'",
                sv=(
                    f"{user.name} får inte se översikten över rutinerna: den är för processägare och administratörer",
                    "be en administratör om personalarbetsuppgiften 'Processägare'",
                ),
            )
        counts: dict[str, dict[str, list[tuple[str, int]]]] = {}
        for procedure_id, version, state, n in self.store.open_cases_by_step(only):
            counts.setdefault(procedure_id, {}).setdefault(version, []).append((state, n))
        summaries = []
        for item in self.loaded_files():
            if only is not None and (item.id if isinstance(item, LoadedProcedure) else Path(item[0]).stem) != only:
                continue
            if not isinstance(item, LoadedProcedure):
                path, invalid = item
                summaries.append(
                    ProcedureSummary(Path(path).stem, Path(path).stem, path, None, False, invalid.diagnostics)
                )
                continue
            procedure = item.procedure
            versions = []
            stored = [h for h, _ in self.store.procedure_versions(item.id)]
            for version in dict.fromkeys([*reversed(stored), item.hash]):
                by_step = counts.get(item.id, {}).get(version, [])
                titles = {s.id: pick(s.title, s.title_en, self.lang) for s in self.pinned_or(version, item).steps}
                steps = [StepCount(state, titles.get(state, state), n) for state, n in by_step]
                versions.append(VersionSummary(version, version == item.hash, sum(s.cases for s in steps), steps))
            summaries.append(
                ProcedureSummary(
                    item.id,
                    pick(procedure.title, procedure.title_en, self.lang),
                    item.path,
                    procedure.revision,
                    True,
                    list(item.warnings),
                    versions,
                )
            )
        return sorted(summaries, key=lambda s: (s.valid, s.title.casefold()))

    def pinned_or(self, version: str, current: LoadedProcedure) -> Procedure:
        """The procedure of a stored version, or the current file's when that version is not stored yet."""
        return current.procedure if version == current.hash else self.pinned(version).procedure

    def _visible(self, user: User, case: Case, record_as: str | None = None) -> Procedure:
        from engine.access import NotAllowed, describe_access, may_see_case

        procedure = self.pinned(case.procedure_hash).procedure
        if may_see_case(user, procedure):
            return procedure
        reason = f"{user.name} may not see case {case.id}: it needs {describe_access(procedure.access)}"
        if record_as is not None:  # an attempt to write (a forged form) is recorded like a refused step
            self.store.append_refusal(case, refusal_event(case, user.name, self.now(), record_as, reason, {}))
        raise NotAllowed(
            reason,
            "ask an administrator for the role",
            state=case.state,
            recorded=record_as is not None,
            sv=(
                f"{user.name} får inte se ärendet {case.id}: det kräver {describe_access(procedure.access, 'sv')}",
                "be en administratör om behörigheten",
            ),
        )

    def _auditor(self, actor: str) -> User:
        from engine.access import AUDITOR_TASK, NotAllowed, is_auditor

        user = self.user(actor)
        if not is_auditor(user):
            raise NotAllowed(
                f"{user.name} may not audit cases: it is for auditors and administrators",
                f"ask an administrator for the staff task '{AUDITOR_TASK}'",
                sv=(
                    f"{user.name} får inte granska ärenden: det är för granskare och administratörer",
                    f"be en administratör om personalarbetsuppgiften '{AUDITOR_TASK}'",
                ),
            )
        return user

    @staticmethod
    def _typed_inputs(procedure: Procedure) -> list[tuple[str, str]]:
        """(name, type) of every input and step field: where a student or a group can sit in a case's data."""
        found: list[tuple[str, str]] = [(i.name, i.type) for i in procedure.inputs]
        for step in procedure.steps:
            found += [(f.name, f.type) for f in getattr(step, "fields", None) or ()]
        return found
