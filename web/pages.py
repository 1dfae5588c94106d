"""The pages: Mina ärenden, starting a case, the case page, procedures, audit. Each requires a signed-in person.

Handlers parse the request, call the application layer, and render. A refused or invalid POST re-renders the
page with the reason (and each field's problem beside the field), so nothing typed is lost and nothing is saved.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from engine.case import STATUSES, DisplayStatus
from engine.errors import ActionRefused, InvalidInputs, InvalidValue, RutinError
from engine.pages import CaseList
from web.checks import (
    MalformedField,
    check_comment_characters,
    no_procedure,
    not_in_form,
    not_utf8,
    page_number,
    procedure_id_of,
    refuse_malformed,
    status_labels,
    undecodable_field,
    unknown_procedure,
    unknown_status,
    unreadable_form,
)
from web.diagram import diagram_svg
from web.names import names_of
from web.security import CSRF_FIELD, Viewer
from web.texts import text

if TYPE_CHECKING:
    from web.app import Web

PER_PAGE = 50
WAITING_REFRESH_SECONDS = 5
# the status filter's choices: the default lists what is to be done (overdue first), each other one status
LISTS: dict[str, tuple[DisplayStatus, ...]] = {
    "": ("overdue", "open"),
    **{s: (s,) for s in STATUSES if s != "waiting"},
}


def field_errors(
    error: RutinError, lang: str, fields: Collection[str] | None = None, where: tuple[str, str] | None = None
) -> tuple[dict[str, str], list[tuple[str, str | None]]]:
    """Problems per field name (shown beside each field), and the rest (shown at the top).

    `fields` are the names the form shows. A problem of another name goes on top: a field the procedure does not
    have at this point (`where`, in English and Swedish) says so by name, since the form shows nothing to fix."""
    problems = error.problems if isinstance(error, InvalidInputs) else [error]
    by_field: dict[str, str] = {}
    general: list[tuple[str, str | None]] = []
    for problem in problems:
        message, hint = problem.localized(lang)
        if isinstance(problem, InvalidValue) and (fields is None or problem.name in fields):
            message = message.removeprefix(f"{problem.name}: ")
            if hint and "--set" not in hint:  # the CLI's "give it with --set name=..." means nothing here
                message = f"{message} ({hint})"
            by_field[problem.name] = message
        elif isinstance(problem, MalformedField):
            general.append((message.removeprefix(f"{problem.name}: "), hint))
        elif isinstance(problem, InvalidValue):
            general.append(not_in_form(problem.name, where or ("the procedure", "rutinen")).localized(lang))
        else:
            cite = getattr(problem, "cite", None)  # a rule's refusal quotes the routine's sentence it comes from
            general.append((f"{message} (”{cite}”)" if cite and cite not in message else message, hint))
    return by_field, general


def typed_values(form: FormData, skip: tuple[str, ...]) -> dict[str, str]:
    """What the person typed, without the form's own fields and empty ones (an empty field is "not given")."""
    return {k: v.strip() for k, v in form.multi_items() if k not in skip and isinstance(v, str) and v.strip()}


def add_pages(app: FastAPI, web: Web) -> None:  # noqa: PLR0915  (one route table, read top to bottom)
    async def read_form(request: Request) -> tuple[FormData, Viewer]:
        """A signed-in form, CSRF checked first (web.posted); a 400 page when its bytes are not UTF-8 text or
        Starlette could not parse it (a part over 1 MB), instead of storing mojibake or answering in JSON."""
        body = await request.body()  # Starlette keeps these bytes: the form is parsed from them
        try:
            uploads = await request.form()  # kept too: web.posted reads this same form
        except HTTPException as exc:
            raise unreadable_form(str(exc.detail)) from None
        await uploads.close()  # no form of Rutin takes a file; one sent anyway is refused (refuse_malformed)
        form, viewer = await web.posted(request)
        name = undecodable_field(body, request.headers.get("content-type", ""))
        if name is not None:
            raise not_utf8(name)
        return form, viewer

    # -- Mina ärenden -------------------------------------------------------------------------------------------

    def filters_of(request: Request) -> dict[str, str]:
        q = request.query_params
        return {k: (q.get(k) or "").strip() for k in ("procedure", "status", "group", "student")}

    def filter_problems(request: Request, filters: dict[str, str], procedures: list[str]) -> dict[str, str]:
        """What is wrong with the list's own filters and page number, per name, in the person's language.

        The group and student filters are parsed by the application layer (case_lists); these are the ones whose
        values only this page knows. A filter that is wrong is emptied, so the form shows a choice it offers."""
        lang = web.service(request).lang
        problems: list[InvalidValue] = []
        if filters["status"] not in LISTS and filters["status"] != "waiting":
            problems.append(unknown_status(filters["status"]))
            filters["status"] = ""
        if filters["procedure"] and filters["procedure"] not in procedures:
            problems.append(unknown_procedure(filters["procedure"]))
            filters["procedure"] = ""
        try:
            page_number(request.query_params.get("page"))
        except InvalidValue as exc:
            problems.append(exc)
        return {p.name: field_errors(p, lang)[0][p.name] for p in problems}

    def listed_page(
        request: Request, viewer: Viewer, statuses: tuple[DisplayStatus, ...], filters: dict[str, str], page: int
    ) -> CaseList:
        """The list's page `page`, or its last page when `page` is past the end (a number typed by hand).

        No list has more pages than there are cases, which also keeps the offset inside SQLite's integers; past
        that, the last page is found by halving (a few indexed queries, only on this unusual path)."""
        service = web.service(request)

        def at(number: int) -> CaseList:
            return service.my_cases(
                viewer.user.name,
                statuses=statuses,
                procedure_id=filters["procedure"] or None,
                group=filters["group"] or None,
                student=filters["student"] or None,
                page=number,
                per_page=PER_PAGE,
            )

        if page > 1:
            cases = sum(service.counts(viewer.user.name).values())
            page = min(page, max(1, -(-cases // PER_PAGE)))
        found = at(page)
        if page == 1 or found.cases or found.has_more:
            return found
        low, high, last = 1, page - 1, None
        while low < high:  # the last page is in [low, high]; `last` is page `low` once a probe found it
            middle = (low + high + 1) // 2
            probe = at(middle)
            if probe.cases or probe.has_more:
                low, last = middle, probe
            else:
                high = middle - 1
        return last or at(1)

    def case_lists(
        request: Request, viewer: Viewer, filters: dict[str, str], waiting: bool, problems: dict[str, str]
    ) -> dict[str, Any]:
        service = web.service(request)
        lang = service.lang
        page = 1 if problems else page_number(request.query_params.get("page"))
        if waiting and filters["status"] != "waiting":
            page = 1  # `page` pages the main list; beside it the waiting list shows its first page
        statuses: tuple[DisplayStatus, ...] = ("waiting",) if waiting else LISTS[filters["status"]]
        errors = dict(problems)
        found = None
        if not errors:
            try:
                found = listed_page(request, viewer, statuses, filters, page)
            except InvalidValue as exc:
                errors = {"student" if exc.name == "student" else "group": field_errors(exc, lang)[0][exc.name]}
        query = {k: v for k, v in filters.items() if v}
        if waiting:  # the waiting list's pages are the list of waiting cases alone
            query["status"] = "waiting"
        shown = found.page if found else 1
        return {
            "list": found,
            "filter_errors": errors,
            "now": service.now(),
            "prev_url": "/?" + urlencode({**query, "page": shown - 1}) if found and shown > 1 else None,
            "next_url": "/?" + urlencode({**query, "page": shown + 1}) if found and found.has_more else None,
            "fragment_url": "/cases/waiting-fragment?" + urlencode(query),
        }

    @app.get("/", response_class=HTMLResponse)
    def my_cases(request: Request) -> Response:
        viewer = web.viewer(request)
        service = web.service(request)
        procedures = [
            (p.id, p.procedure.title if service.lang == "sv" else p.procedure.title_en or p.procedure.title)
            for p in service.visible_procedures(viewer.user.name)
        ]
        filters = filters_of(request)
        problems = filter_problems(request, filters, [pid for pid, _ in procedures])
        show_main = filters["status"] != "waiting"
        show_waiting = filters["status"] in ("", "waiting") and not problems
        context: dict[str, Any] = {
            "filters": filters,
            "procedures": procedures,
            "statuses": status_labels(service.lang),
            "show_main": show_main,
            "show_waiting": show_waiting,
            "refresh": WAITING_REFRESH_SECONDS,
        }
        main = case_lists(request, viewer, filters, not show_main, problems)
        context["main"] = main if show_main else None
        context["waiting"] = None
        if show_waiting:
            waiting = case_lists(request, viewer, filters, True, problems) if show_main else main
            context["waiting"] = waiting
            context["waiting_box"] = Markup(waiting_box(request, viewer, filters, waiting)[0])
        status = 422 if main["filter_errors"] else 200
        return web.render(request, "my_cases.html", context, status, viewer)

    def waiting_box(
        request: Request, viewer: Viewer, filters: dict[str, str], lists: dict[str, Any]
    ) -> tuple[str, str]:
        """The live list of waiting cases as HTML, and a digest of its content.

        The box reloads itself every few seconds with the digest in its URL; when nothing changed the answer is
        204 and HTMX swaps nothing, so keyboard focus and a screen reader's place in the list stay where they are.
        """
        inner = web.render_text(request, "_waiting.html", {"waiting": lists, "filters": filters}, viewer)
        digest = hashlib.sha256(inner.encode("utf-8")).hexdigest()[:16]
        page = lists["list"].page if lists["list"] is not None and filters["status"] == "waiting" else 1
        url = lists["fragment_url"].rstrip("?&")
        url += ("&" if "?" in url else "?") + urlencode({"page": page})
        # Markup: `inner` is the output of an autoescaping template, not text from a person
        context = {"inner": Markup(inner), "url": f"{url}&v={digest}", "refresh": WAITING_REFRESH_SECONDS}
        return web.render_text(request, "_waiting_box.html", context, viewer), digest

    @app.get("/cases/waiting-fragment", response_class=HTMLResponse)
    def waiting_fragment(request: Request) -> Response:
        viewer = web.viewer(request, renew=False)
        filters = filters_of(request)
        procedures = [p.id for p in web.service(request).visible_procedures(viewer.user.name)]
        problems = filter_problems(request, filters, procedures)
        if problems:  # only a hand-made URL gets here; HTMX swaps nothing on a 4xx, so the list stays as it was
            context = {"title": text("error", web.service(request).lang), "messages": list(problems.values())}
            return HTMLResponse(web.render_text(request, "_refused_fragment.html", context, viewer), 422)
        box, digest = waiting_box(request, viewer, filters, case_lists(request, viewer, filters, True, problems))
        if request.query_params.get("v") == digest:
            return Response(status_code=204)  # unchanged: HTMX keeps what is on the page
        return HTMLResponse(box)

    # -- starting a case ----------------------------------------------------------------------------------------

    @app.get("/cases/new", response_class=HTMLResponse)
    def pick_procedure(request: Request) -> Response:
        viewer = web.viewer(request)
        procedures = web.service(request).startable(viewer.user.name)
        return web.render(request, "new_case.html", {"procedures": procedures}, 200, viewer)

    @app.get("/cases/new/{procedure_id}", response_class=HTMLResponse)
    def start_form(request: Request, procedure_id: str) -> Response:
        viewer = web.viewer(request)
        form = web.service(request).start_form(procedure_id_of(procedure_id), viewer.user.name)
        context = {"form": form, "values": {}, "errors": {}, "general": []}
        return web.render(request, "start_form.html", context, 200, viewer)

    @app.post("/cases/new/{procedure_id}")
    async def start_case(request: Request, procedure_id: str) -> Response:
        form, viewer = await read_form(request)
        service = web.service(request)
        procedure_id = procedure_id_of(procedure_id)
        values = typed_values(form, (CSRF_FIELD,))
        try:
            refuse_malformed(form)
            view = await run_in_threadpool(service.start, procedure_id, values, viewer.user.name)
        except (InvalidInputs, InvalidValue, ActionRefused) as exc:  # the form again, with why; nothing was saved
            from web.app import error_status

            start = await run_in_threadpool(service.start_form, procedure_id, viewer.user.name)
            where = ("the procedure's start form", "rutinens startformulär")
            errors, general = field_errors(exc, service.lang, {f.name for f in start.fields}, where)
            context = {"form": start, "values": values, "errors": errors, "general": general}
            return web.render(request, "start_form.html", context, error_status(exc), viewer)
        return RedirectResponse(f"/cases/{view.id}", status_code=303)

    # -- the case page ------------------------------------------------------------------------------------------

    def case_context(request: Request, viewer: Viewer, case_id: str) -> dict[str, Any]:
        service = web.service(request)
        page = service.case_page(case_id, viewer.user.name)
        view = page.view
        loaded = service.pinned(view.version)
        label = (
            f"Diagram över rutinen {view.procedure_title}, steget {view.step_title} markerat"
            if service.lang == "sv"
            else f"Diagram of the procedure {view.procedure_title}, with the step {view.step_title} marked"
        )
        current = None if view.status == "done" else view.state
        return {
            "names": names_of(loaded, service.lang),
            "page": page,
            "case": view,
            "svg": diagram_svg(loaded, tuple(view.route), current, service.lang, label),
            "comments": [e for e in page.events if e.kind == "comment"],
            "values": {},
            "errors": {},
            "general": [],
            "comment_error": None,
            "comment_text": "",
            "now": service.now(),
        }

    @app.get("/cases/{case_id}", response_class=HTMLResponse)
    def case_page(request: Request, case_id: str) -> Response:
        viewer = web.viewer(request)
        return web.render(request, "case.html", case_context(request, viewer, case_id), 200, viewer)

    @app.post("/cases/{case_id}/do")
    async def do_step(request: Request, case_id: str) -> Response:
        form, viewer = await read_form(request)
        service = web.service(request)
        action = str(form.get("action") or "")
        fields = typed_values(form, (CSRF_FIELD, "action"))
        try:
            refuse_malformed(form)
            await run_in_threadpool(service.do, case_id, action, fields, viewer.user.name)
        except RutinError as exc:
            from web.app import error_status

            context = await run_in_threadpool(case_context, request, viewer, case_id)
            view = context["case"]
            shown_fields = {f.name for a in view.actions for f in a.fields}
            where = (f"the step '{view.step_title}'", f"steget '{view.step_title}'")
            errors, general = field_errors(exc, service.lang, shown_fields, where)
            context.update(values=fields, errors=errors, general=general)
            return web.render(request, "case.html", context, error_status(exc), viewer)
        return RedirectResponse(f"/cases/{case_id}", status_code=303)

    @app.post("/cases/{case_id}/comments")
    async def add_comment(request: Request, case_id: str) -> Response:
        form, viewer = await read_form(request)
        service = web.service(request)
        typed = str(form.get("text") or "")
        try:
            refuse_malformed(form)
            check_comment_characters(typed)
            await run_in_threadpool(service.comment, case_id, typed, viewer.user.name)
        except InvalidValue as exc:
            context = await run_in_threadpool(case_context, request, viewer, case_id)
            errors, general = field_errors(exc, service.lang, ("text",))
            problem = errors.get("text") or " ".join(f"{m} ({h})" if h else m for m, h in general)
            context.update(comment_error=problem, comment_text=typed)
            return web.render(request, "case.html", context, 422, viewer)
        return RedirectResponse(f"/cases/{case_id}#comments", status_code=303)

    # -- procedures (process owners) ----------------------------------------------------------------------------

    @app.get("/procedures", response_class=HTMLResponse)
    def procedures(request: Request) -> Response:
        viewer = web.viewer(request)
        summaries = [s.without_folder() for s in web.service(request).procedure_overview(viewer.user.name)]
        return web.render(request, "procedures.html", {"summaries": summaries}, 200, viewer)

    @app.get("/procedures/{procedure_id}", response_class=HTMLResponse)
    def procedure(request: Request, procedure_id: str) -> Response:
        viewer = web.viewer(request)
        service = web.service(request)
        found = service.procedure_overview(viewer.user.name, only=procedure_id)
        if not found:
            raise no_procedure(procedure_id)
        summary = found[0].without_folder()
        loaded = service.current(procedure_id) if summary.valid else None
        label = ("Diagram över rutinen " if service.lang == "sv" else "Diagram of the procedure ") + summary.title
        context = {
            "summary": summary,
            "loaded": loaded,
            "svg": diagram_svg(loaded, (), None, service.lang, label) if loaded else None,
        }
        return web.render(request, "procedure.html", context, 200, viewer)

    # -- audit (auditors) ---------------------------------------------------------------------------------------

    @app.get("/audit/{case_id}", response_class=HTMLResponse)
    def audit(request: Request, case_id: str) -> Response:
        viewer = web.viewer(request)
        service = web.service(request)
        page = service.audit_page(case_id, viewer.user.name)
        names = names_of(service.pinned(page.view.version), service.lang)
        return web.render(request, "audit.html", {"audit": page, "names": names}, 200, viewer)

    @app.get("/audit/{case_id}/export.json")
    def export_json(request: Request, case_id: str) -> Response:
        return export(request, case_id, "json", "application/json")

    @app.get("/audit/{case_id}/export.csv")
    def export_csv(request: Request, case_id: str) -> Response:
        return export(request, case_id, "csv", "text/csv; charset=utf-8")

    def export(request: Request, case_id: str, fmt: str, media: str) -> Response:
        viewer = web.viewer(request)
        body = web.service(request).audit_export(case_id, fmt, viewer.user.name)
        filename = f"{case_id}.{fmt}".replace('"', "")
        return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
