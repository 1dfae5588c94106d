"""The pages: Mina ärenden, starting a case, the case page, procedures, audit. Each requires a signed-in person.

Handlers parse the request, call the application layer, and render. A refused or invalid POST re-renders the
page with the reason (and each field's problem beside the field), so nothing typed is lost and nothing is saved.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from engine.case import STATUSES, DisplayStatus
from engine.errors import ActionRefused, InvalidInputs, InvalidValue, RutinError
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


def field_errors(error: RutinError, lang: str) -> tuple[dict[str, str], list[tuple[str, str | None]]]:
    """Problems per field name (shown beside each field), and the rest (shown at the top)."""
    problems = error.problems if isinstance(error, InvalidInputs) else [error]
    by_field: dict[str, str] = {}
    general: list[tuple[str, str | None]] = []
    for problem in problems:
        message, hint = problem.localized(lang)
        if isinstance(problem, InvalidValue):
            message = message.removeprefix(f"{problem.name}: ")
            if hint and "--set" not in hint:  # the CLI's "give it with --set name=..." means nothing here
                message = f"{message} ({hint})"
            by_field[problem.name] = message
        else:
            cite = getattr(problem, "cite", None)  # a rule's refusal quotes the routine's sentence it comes from
            general.append((f"{message} (”{cite}”)" if cite and cite not in message else message, hint))
    return by_field, general


def typed_values(form: FormData, skip: tuple[str, ...]) -> dict[str, str]:
    """What the person typed, without the form's own fields and empty ones (an empty field is "not given")."""
    return {k: v.strip() for k, v in form.multi_items() if k not in skip and isinstance(v, str) and v.strip()}


def add_pages(app: FastAPI, web: Web) -> None:  # noqa: PLR0915  (one route table, read top to bottom)
    # -- Mina ärenden -------------------------------------------------------------------------------------------

    def filters_of(request: Request) -> dict[str, str]:
        q = request.query_params
        return {k: (q.get(k) or "").strip() for k in ("procedure", "status", "group", "student")}

    def case_lists(request: Request, viewer: Viewer, filters: dict[str, str], waiting: bool) -> dict[str, Any]:
        service = web.service(request)
        lang = service.lang
        try:
            page = max(1, int(request.query_params.get("page") or 1))
        except ValueError:
            page = 1
        if waiting and filters["status"] != "waiting":
            page = 1  # `page` pages the main list; beside it the waiting list shows its first page
        statuses: tuple[DisplayStatus, ...] = ("waiting",) if waiting else LISTS.get(filters["status"], LISTS[""])
        errors: dict[str, str] = {}
        found = None
        try:
            found = service.my_cases(
                viewer.user.name,
                statuses=statuses,
                procedure_id=filters["procedure"] or None,
                group=filters["group"] or None,
                student=filters["student"] or None,
                page=page,
                per_page=PER_PAGE,
            )
        except InvalidValue as exc:
            errors = {"student" if exc.name == "student" else "group": field_errors(exc, lang)[0][exc.name]}
        query = {k: v for k, v in filters.items() if v}
        if waiting:  # the waiting list's pages are the list of waiting cases alone
            query["status"] = "waiting"
        return {
            "list": found,
            "filter_errors": errors,
            "now": service.now(),
            "prev_url": "/?" + urlencode({**query, "page": page - 1}) if found and page > 1 else None,
            "next_url": "/?" + urlencode({**query, "page": page + 1}) if found and found.has_more else None,
            "fragment_url": "/cases/waiting-fragment?" + urlencode(query),
        }

    @app.get("/", response_class=HTMLResponse)
    def my_cases(request: Request) -> Response:
        viewer = web.viewer(request)
        service = web.service(request)
        filters = filters_of(request)
        show_main = filters["status"] != "waiting"
        show_waiting = filters["status"] in ("", "waiting")
        context: dict[str, Any] = {
            "filters": filters,
            "procedures": [
                (p.id, p.procedure.title if service.lang == "sv" else p.procedure.title_en or p.procedure.title)
                for p in service.visible_procedures(viewer.user.name)
            ],
            "statuses": [("", text("to_do", service.lang))]
            + [(s, text(f"st_{s}", service.lang)) for s in ("overdue", "open", "waiting", "done")],
            "show_main": show_main,
            "show_waiting": show_waiting,
            "refresh": WAITING_REFRESH_SECONDS,
        }
        main = case_lists(request, viewer, filters, waiting=not show_main)
        context["main"] = main if show_main else None
        context["waiting"] = None
        if show_waiting:
            waiting = case_lists(request, viewer, filters, True) if show_main else main
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
        box, digest = waiting_box(request, viewer, filters, case_lists(request, viewer, filters, True))
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
        form = web.service(request).start_form(procedure_id, viewer.user.name)
        context = {"form": form, "values": {}, "errors": {}, "general": []}
        return web.render(request, "start_form.html", context, 200, viewer)

    @app.post("/cases/new/{procedure_id}")
    async def start_case(request: Request, procedure_id: str) -> Response:
        form, viewer = await web.posted(request)
        service = web.service(request)
        values = typed_values(form, (CSRF_FIELD,))
        try:
            view = await run_in_threadpool(service.start, procedure_id, values, viewer.user.name)
        except (InvalidInputs, InvalidValue, ActionRefused) as exc:  # the form again, with why; nothing was saved
            from web.app import error_status

            errors, general = field_errors(exc, service.lang)
            start = await run_in_threadpool(service.start_form, procedure_id, viewer.user.name)
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
        form, viewer = await web.posted(request)
        service = web.service(request)
        action = str(form.get("action") or "")
        fields = typed_values(form, (CSRF_FIELD, "action"))
        try:
            await run_in_threadpool(service.do, case_id, action, fields, viewer.user.name)
        except RutinError as exc:
            from web.app import error_status

            context = await run_in_threadpool(case_context, request, viewer, case_id)
            errors, general = field_errors(exc, service.lang)
            context.update(values=fields, errors=errors, general=general)
            return web.render(request, "case.html", context, error_status(exc), viewer)
        return RedirectResponse(f"/cases/{case_id}", status_code=303)

    @app.post("/cases/{case_id}/comments")
    async def add_comment(request: Request, case_id: str) -> Response:
        form, viewer = await web.posted(request)
        service = web.service(request)
        typed = str(form.get("text") or "")
        try:
            await run_in_threadpool(service.comment, case_id, typed, viewer.user.name)
        except InvalidValue as exc:
            context = await run_in_threadpool(case_context, request, viewer, case_id)
            context.update(comment_error=field_errors(exc, service.lang)[0].get("text"), comment_text=typed)
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
            from engine.errors import NotFound

            raise NotFound(
                f"there is no procedure '{procedure_id}'",
                "see the list of procedures",
                sv=(f"det finns ingen rutin '{procedure_id}'", "se listan över rutiner"),
            )
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
