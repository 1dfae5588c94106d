"""The words of the web app's own chrome, in Swedish (the default) and English.

Everything a routine says (step titles, instructions, button labels, rule sentences) comes from the procedure
through the views; only the app's own words live here.
"""

from __future__ import annotations

import math
from typing import Literal

Lang = Literal["sv", "en"]

TEXTS: dict[str, tuple[str, str]] = {
    # key: (Swedish, English)
    "app": ("Rutin", "Rutin"),
    "skip": ("Hoppa till innehållet", "Skip to content"),
    "my_cases": ("Mina ärenden", "My cases"),
    "start_case": ("Starta ärende", "Start a case"),
    "procedures": ("Rutiner", "Procedures"),
    "sign_in": ("Logga in", "Sign in"),
    "sign_out": ("Logga ut", "Sign out"),
    "username": ("Användarnamn", "User name"),
    "password": ("Lösenord", "Password"),
    "bad_login": ("Fel användarnamn eller lösenord.", "Wrong user name or password."),
    "busy": (
        "Många loggar in just nu. Försök igen om några sekunder.",
        "Many people are signing in right now. Try again in a few seconds.",
    ),
    "signed_in_as": ("Inloggad som", "Signed in as"),
    "language": ("In English", "På svenska"),
    "main_nav": ("Huvudmeny", "Main menu"),
    "session_ended": ("Din session har gått ut. Logga in igen.", "Your session has ended. Please sign in again."),
    "filters": ("Filter", "Filters"),
    "procedure": ("Rutin", "Procedure"),
    "status": ("Status", "Status"),
    "group": ("Grupp", "Group"),
    "student": ("Elev (personnummer)", "Student (personnummer)"),
    "all": ("Alla", "All"),
    "to_do": ("Att göra (försenade först)", "To do (overdue first)"),
    "st_open": ("Att göra", "To do"),
    "st_waiting": ("Väntar", "Waiting"),
    "st_overdue": ("Försenad", "Overdue"),
    "st_done": ("Klar", "Done"),
    "filter": ("Filtrera", "Filter"),
    "clear": ("Rensa filter", "Clear filters"),
    "case": ("Ärende", "Case"),
    "step": ("Steg", "Step"),
    "system": ("System", "System"),
    "updated": ("Ändrat", "Changed"),
    "no_cases": ("Inga ärenden.", "No cases."),
    "waiting_on": ("Väntar på andra system", "Waiting on other systems"),
    "expected_by": ("väntas senast", "expected by"),
    "overdue_since": ("försenad sedan", "overdue since"),
    "next_check": ("nästa kontroll", "next check"),
    "you_may_act": ("Du kan göra detta steg", "You can do this step"),
    "others_act": ("Någon annan gör detta steg", "Someone else does this step"),
    "previous": ("Föregående sida", "Previous page"),
    "next": ("Nästa sida", "Next page"),
    "page": ("Sida", "Page"),
    "pick_procedure": ("Välj rutin", "Pick a procedure"),
    "none_startable": ("Du får inte starta någon rutin.", "You may not start any procedure."),
    "start": ("Starta ärendet", "Start the case"),
    "form_errors": (
        "Ärendet startades inte. Rätta uppgifterna nedan.",
        "The case was not started: correct the fields.",
    ),
    "required": ("måste anges", "required"),
    "optional": ("frivillig", "optional"),
    "choose": ("– välj –", "– choose –"),
    "now": ("Nu", "Now"),
    "instructions": ("Så här gör du", "What to do"),
    "routine_source": ("Ur rutinen", "From the routine"),
    "actions": ("Gör steget", "Do the step"),
    "waits_for": ("Väntar på", "Waits for"),
    "since": ("sedan", "since"),
    "answered_by_person": ("en person bekräftar", "a person confirms"),
    "answered_by_system": ("systemet kontrolleras automatiskt", "the system is checked automatically"),
    "rule_failures": ("Regler som inte var uppfyllda", "Rules that did not hold"),
    "diagram": ("Rutinen som diagram", "The procedure as a diagram"),
    "diagram_missing": ("Diagrammet kunde inte ritas", "The diagram could not be drawn"),
    "history": ("Historik", "History"),
    "comments": ("Kommentarer", "Comments"),
    "comment": ("Kommentar", "Comment"),
    "add_comment": ("Lägg till kommentar", "Add comment"),
    "no_comments": ("Inga kommentarer än.", "No comments yet."),
    "audit": ("Granskning", "Audit"),
    "case_done": ("Ärendet är klart.", "The case is done."),
    "no_right_to_act": (
        "Du har inte behörighet att göra det här steget.",
        "You do not have the role to do this step.",
    ),
    "data": ("Uppgifter", "Details"),
    "started_by": ("Startat av", "Started by"),
    "version": ("Version", "Version"),
    "versions": ("Versioner", "Versions"),
    "valid": ("Giltig", "Valid"),
    "invalid": ("Ogiltig", "Invalid"),
    "open_cases": ("Öppna ärenden", "Open cases"),
    "current_version": ("filens version nu", "the file's version now"),
    "problems": ("Fel i filen", "Problems in the file"),
    "warnings": ("Varningar", "Warnings"),
    "inputs": ("Uppgifter vid start", "Inputs at start"),
    "steps": ("Steg", "Steps"),
    "access": ("Behörighet", "Access"),
    "replay": ("Uppspelning av historiken", "Replay of the history"),
    "replay_ok": ("Uppspelningen stämmer med det sparade ärendet.", "The replay matches the stored case."),
    "replay_bad": ("Uppspelningen skiljer sig:", "The replay differs:"),
    "chain": ("Hashkedjan", "The hash chain"),
    "chain_ok": ("Kedjan är obruten", "The chain is intact"),
    "chain_bad": ("Kedjan är bruten:", "The chain is broken:"),
    "events": ("händelser", "events"),
    "export": ("Exportera", "Export"),
    "export_json": ("Ladda ner JSON", "Download JSON"),
    "export_csv": ("Ladda ner CSV", "Download CSV"),
    "replay_col": ("Uppspelning", "Replay"),
    "matches": ("stämmer", "matches"),
    "differs": ("skiljer sig", "differs"),
    "error": ("Det gick inte", "That did not work"),
    "hint": ("Tips", "Hint"),
    "back_home": ("Till Mina ärenden", "Back to My cases"),
    "refused_title": ("Ingen behörighet", "Not allowed"),
    "not_found": ("Hittades inte", "Not found"),
    "rule": ("Regel", "Rule"),
    "by": ("av", "by"),
    "when": ("Tid", "Time"),
    "who": ("Vem", "Who"),
    "what": ("Vad", "What"),
}

EVENT_KINDS: dict[str, tuple[str, str]] = {
    "case_started": ("Ärendet startades", "Case started"),
    "step_done": ("Steget gjordes", "Step done"),
    "wait_satisfied": ("Väntan uppfylld", "Wait satisfied"),
    "wait_confirmed": ("Väntan bekräftad", "Wait confirmed"),
    "wait_not_yet": ("Inte ännu", "Not yet"),
    "wait_overdue": ("Väntan försenad", "Wait overdue"),
    "deadline_missed": ("Tidsfrist passerad", "Deadline missed"),
    "refused": ("Nekades", "Refused"),
    "comment": ("Kommentar", "Comment"),
    "case_migrated": ("Flyttades till ny version", "Moved to a new version"),
    "signed_in": ("Loggade in", "Signed in"),
    "signed_out": ("Loggade ut", "Signed out"),
    "sign_in_failed": ("Misslyckad inloggning", "Failed sign-in"),
    "sign_in_throttled": ("Inloggning spärrad en stund", "Sign-in held back for a while"),
}

THROTTLED: dict[str, tuple[str, str]] = {
    # why the sign-in was refused without checking the password; the wait follows
    "name": (
        "För många misslyckade inloggningar för det här namnet.",
        "Too many failed sign-ins for this user name.",
    ),
    "address": (
        "För många misslyckade inloggningar från din adress.",
        "Too many failed sign-ins from your address.",
    ),
}


def text(key: str, lang: Lang) -> str:
    sv, en = TEXTS[key]
    return en if lang == "en" else sv


def event_kind(kind: str, lang: Lang) -> str:
    sv, en = EVENT_KINDS.get(kind, (kind, kind))
    return en if lang == "en" else sv


def throttled_message(scope: str, seconds: int, lang: Lang) -> str:
    """ "... Försök igen om 12 minuter.": the wait in whole minutes, rounded up so the person is never early."""
    minutes = max(1, math.ceil(seconds / 60))
    sv, en = THROTTLED[scope]
    if lang == "en":
        return f"{en} Try again in {minutes} minute{'' if minutes == 1 else 's'}."
    return f"{sv} Försök igen om {minutes} minut{'' if minutes == 1 else 'er'}."
