"""Checks on what a request carries before the application layer sees it: query values, forms, their bytes.

The procedure's own values (personnummer, dates, text) are parsed by the engine; these are the request's shape,
which only the web knows: a filter or page number from a URL typed by hand, a field sent twice or as a file, bytes
that are not UTF-8. Each refusal is a RutinError in Swedish and English naming what was wrong; values taken from
the request are cut short and made visible before a message repeats them.
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import unquote_to_bytes

from starlette.datastructures import FormData

from engine.errors import InvalidValue, NotFound, RutinError
from engine.procedure import PROCEDURE_ID
from engine.values import parse_value
from web.texts import Lang, text

SHOWN_LENGTH = 40  # of a value from the request that a message repeats (it may be 100,000 characters long)
PAGE = re.compile(r"[+-]?[0-9]+")  # int() alone would also take "1_000", " ٣ " and 10,000-digit numbers
PAGE_DIGITS = 9  # more digits than this is past the end of any list; no larger int reaches the database


def shown(value: str) -> str:
    """A value from the request as a message repeats it: the start of it, invisible characters as U+0001."""
    cut = "".join(c if c.isprintable() else f"U+{ord(c):04X}" for c in value[:SHOWN_LENGTH])
    return cut + ("…" if len(value) > SHOWN_LENGTH else "")


def page_number(raw: str | None) -> int:
    """`?page=` as a page of a list: none is 1; below 1 is 1 and past the end is the last page (so every number
    names a page); InvalidValue("page") for what is not a whole number."""
    typed = (raw or "").strip()
    if not typed:
        return 1
    if PAGE.fullmatch(typed) is None:
        raise InvalidValue(
            "page",
            f"the page number '{shown(typed)}' is not a whole number",
            "pages are numbered 1, 2, 3 and so on; use the links Previous page and Next page",
            sv=(
                f"sidnumret '{shown(typed)}' är inget heltal",
                "sidorna numreras 1, 2, 3 och så vidare; använd länkarna Föregående sida och Nästa sida",
            ),
        )
    digits = typed.lstrip("+-").lstrip("0")
    if typed.startswith("-") or not digits:
        return 1
    return int(digits) if len(digits) <= PAGE_DIGITS else 10**PAGE_DIGITS


def procedure_id_of(typed: str) -> str:
    """A procedure id from a URL; NotFound at once for what no procedure file may be called (engine/procedure.py),
    so a 5,000-character name never reaches the file system (where it would fail as "file name too long")."""
    if re.fullmatch(PROCEDURE_ID, typed) is None:
        raise no_procedure(typed)
    return typed


def no_procedure(typed: str) -> NotFound:
    return NotFound(
        f"there is no procedure '{shown(typed)}'",
        "see the list of procedures",
        sv=(f"det finns ingen rutin '{shown(typed)}'", "se listan över rutiner"),
    )


def status_labels(lang: Lang) -> list[tuple[str, str]]:
    """The status filter's choices as the form offers them (the empty one lists what is to be done)."""
    return [("", text("to_do", lang))] + [(s, text(f"st_{s}", lang)) for s in ("overdue", "open", "waiting", "done")]


def unknown_status(status: str) -> InvalidValue:
    def choices(lang: Lang) -> str:
        return ", ".join(label for _, label in status_labels(lang))

    return InvalidValue(
        "status",
        f"there is no status '{shown(status)}'",
        f"choose one in the list: {choices('en')}",
        sv=(f"det finns ingen status '{shown(status)}'", f"välj en i listan: {choices('sv')}"),
    )


def unknown_procedure(procedure: str) -> InvalidValue:
    return InvalidValue(
        "procedure",
        f"there is no procedure '{shown(procedure)}' among those whose cases you see",
        "choose one in the list, or All",
        sv=(f"det finns ingen rutin '{shown(procedure)}' bland dem vars ärenden du ser", "välj en i listan eller Alla"),
    )


class MalformedField(InvalidValue):
    """A field no form of Rutin sends: the same name twice, or a file. Only a hand-made request does that."""


def not_in_form(name: str, where: tuple[str, str]) -> RutinError:
    """A posted field the procedure does not have here: typically a form left open while its file changed."""
    return RutinError(
        f"the form has the field '{shown(name)}', which {where[0]} does not have; nothing was saved",
        "reload the page and fill in the form again",
        sv=(
            f"formuläret innehåller fältet '{shown(name)}', som {where[1]} inte har; ingenting sparades",
            "ladda om sidan och fyll i formuläret igen",
        ),
    )


def refuse_malformed(form: FormData) -> None:
    """MalformedField for a field sent more than once (which value was meant is unknown, and Starlette would keep
    the last), or a file sent as a field."""
    counts = Counter(name for name, _ in form.multi_items())
    for name, count in counts.items():
        if count > 1:
            raise MalformedField(
                name,
                f"the form sent the field '{shown(name)}' {count} times, but one value is saved; nothing was saved",
                "reload the page and fill in the field once",
                sv=(
                    f"formuläret skickade fältet '{shown(name)}' {count} gånger; bara ett värde kan sparas, "
                    "så ingenting sparades",
                    "ladda om sidan och fyll i fältet en gång",
                ),
            )
    for name, value in form.multi_items():
        if not isinstance(value, str):
            raise MalformedField(
                name,
                f"the form sent a file as the field '{shown(name)}'; it takes text; nothing was saved",
                "write the text in the field",
                sv=(
                    f"formuläret skickade en fil som fältet '{shown(name)}', som tar text; ingenting sparades",
                    "skriv texten i fältet",
                ),
            )


def undecodable_field(body: bytes, content_type: str) -> str | None:
    """The name of the first field whose bytes are not UTF-8 ("" when it cannot be told), or None.

    Starlette turns such bytes into replacement characters (URL-encoded) or reads them as Latin-1 (multipart),
    which would store mojibake for good; the bytes themselves are checked instead."""
    if content_type.partition(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        try:  # multipart: no form of Rutin sends a file, so the whole body is text
            body.decode("utf-8")
        except UnicodeDecodeError:
            return ""
        return None
    for pair in body.split(b"&"):
        name, _, value = pair.partition(b"=")
        for part in (name, value):
            try:
                unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
            except UnicodeDecodeError:
                return unquote_to_bytes(name.replace(b"+", b" ")).decode("utf-8", "replace")
    return None


def not_utf8(name: str) -> RutinError:
    what_en, what_sv = (f"the field '{shown(name)}'", f"fältet '{shown(name)}'") if name else ("the form", "formuläret")
    return RutinError(
        f"{what_en} holds bytes that are not UTF-8 text; nothing was saved",
        "send the form from Rutin's page in a web browser; a script must encode its text as UTF-8",
        sv=(
            f"{what_sv} innehåller byte som inte är UTF-8-text; ingenting sparades",
            "skicka formuläret från Rutins sida i en webbläsare; ett skript måste koda texten som UTF-8",
        ),
    )


def unreadable_form(detail: str) -> RutinError:
    """A form Starlette could not parse; its reason is English only, so the Swedish text says the usual cause."""
    return RutinError(
        f"the form could not be read ({detail}); nothing was saved",
        "reload the page and send the form again; a field holds at most 1 MB",
        sv=(
            "formuläret kunde inte läsas: ett fält är större än 1 MB, eller formuläret är trasigt; ingenting sparades",
            "ladda om sidan och skicka formuläret igen; ett fält rymmer högst 1 MB",
        ),
    )


def check_comment_characters(typed: str) -> None:
    """A comment follows the text fields' rule on invisible control characters, with its words: the rule stays in
    engine/values.py (type "text"). It gets the comment's distinct invisible characters between two letters,
    since the text type's length bound (2000) is not a comment's (4000) and its trimming would drop one at an end."""
    suspects = "".join(c for c in dict.fromkeys(typed.strip()) if not c.isprintable())
    if not suspects:
        return
    try:
        parse_value("text", "text", f"x{suspects}x")
    except InvalidValue as exc:
        (en, _), (sv, _) = exc.localized("en"), exc.localized("sv")
        raise InvalidValue(
            "text",
            en.removeprefix("text: "),
            "remove it; such characters often come with text copied from another program",
            sv=(
                sv.removeprefix("text: "),
                "ta bort det; sådana tecken följer ofta med text kopierad från ett annat program",
            ),
        ) from None
