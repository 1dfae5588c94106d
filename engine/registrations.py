"""The batch check of group registrations: an export as CSV text in, every rule violation out, as data.

`check_registrations` reads an export with one row per student and group (the columns are in `COLUMNS` and
docs/registrations-csv.md), runs each registration rule of the library over the rows it applies to and
returns a `RegistrationReport`: violations with their line, rule and fix, rows it could not read and why, and a
summary. It takes text and returns data: the CLI reads the file (`decode_export` turns its bytes into text).
A bad row is reported, never raised; only a header it cannot map (or a file that is not CSV text) raises
`RegistrationFileInvalid`. Every value from the file that a message quotes goes through `shown`: control and
escape characters are written out visibly (`\x1b`) and long values are cut, so a file cannot drive the terminal.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from engine.errors import RutinError
from engine.personnummer import mask_personnummer
from engine.rules import catalogue
from engine.rules.base import Rule, RuleSwitches
from engine.values import JsonValue

Kind = Literal["text", "date", "yes_no"]
Row = dict[str, JsonValue]
Lang = Literal["sv", "en"]

_NO_SWITCHES = RuleSwitches()


@dataclass(frozen=True)
class Column:
    """A column of the export: its Swedish name as exported, how its cells are read, and other names for it."""

    name: str
    kind: Kind
    description: str
    aliases: tuple[str, ...] = ()
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("personnummer", "text", "elevens personnummer (visas maskerat i rapporten)",
           ("personal_number", "personnr", "pnr", "personal_identity_number")),
    Column("kurskod", "text", "gruppens kurskod, t.ex. MATMAT01a eller KURSPAKET", ("course_code", "kurs", "course"),
           required=True),
    Column("grupp", "text", "gruppens namn, t.ex. MA1A-HT24 eller PRÖ:KC24VTMAT03B",
           ("group", "gruppnamn", "group_name", "kursgrupp", "undervisningsgrupp"), required=True),
    Column("grupptyp", "text", "grupptyp / utbildningsåtgärd; PRÖ för prövning",
           ("group_type", "grupp_typ", "typ", "type", "utbildningsatgard")),
    Column("status", "text", "elevens status på gruppen, t.ex. Aktiv, Ej påbörjat, Avbrott, Gruppen är ersatt",
           required=True),
    Column("statusdatum", "date", "statusdatum (för Avbrott: avbrottsdatum)", ("status_date", "status_datum")),
    Column("startdatum", "date", "kursens (gruppens) startdatum", ("start_date", "start", "fr_o_m"), required=True),
    Column("slutdatum", "date", "kursens (gruppens) slutdatum", ("end_date", "end", "t_o_m"), required=True),
    Column("betygsdatum", "date", "betygsdatum, när betyget är satt", ("grade_date", "betyg_datum")),
    Column("ersatt_startdatum", "date", "vid gruppbyte: den ersatta gruppens startdatum",
           ("replaced_start_date", "replaced_start", "ersatt_start")),
    Column("ersatt_slutdatum", "date", "vid gruppbyte: den ersatta gruppens slutdatum",
           ("replaced_end_date", "replaced_end", "ersatt_slut")),
    Column("rapporteras_scb", "yes_no", "om gruppen rapporteras till SCB (ja/nej)",
           ("reported_to_scb", "rapporteras_till_scb", "rapportera_till_scb", "scb")),
    Column("ekonomimarke", "text", "gruppens ekonomimärke, t.ex. 2", ("economy_mark", "finance_mark")),
    Column("paketavbrott", "yes_no", "om eleven har avbrutit kurspaketet som gruppen ingår i (ja/nej)",
           ("package_dropout", "avbrutet_paket")),
    Column("paborjad", "yes_no", "om eleven har påbörjat gruppen (ja/nej)", ("started", "paborjat")),
)  # fmt: skip

_BY_NAME: dict[str, Column] = {column.name: column for column in COLUMNS}
_HEADER_FOLD = str.maketrans("åäöéÅÄÖÉ", "aaoeaaoe")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_DATE = re.compile(r"(\d{4})(-?)(\d{2})\2(\d{2})")
_YES = frozenset({"ja", "j", "yes", "y", "true", "1", "x"})
_NO = frozenset({"nej", "n", "no", "false", "0"})
_DELIMITERS = (";", ",", "\t")


def _fold_header(name: str) -> str:
    return _NOT_WORD.sub("_", name.strip().casefold().translate(_HEADER_FOLD)).strip("_")


_ALIASES: dict[str, str] = {
    _fold_header(alias): column.name for column in COLUMNS for alias in (column.name, *column.aliases)
}


# --- which rows each rule applies to, and which columns feed its parameters -------------------------------


def _always(_row: Row) -> bool:
    return True


def is_provning(row: Mapping[str, JsonValue]) -> bool:
    """A prövning row: group type PRÖ (or Prövning), a group named PRÖ:..., or the status Prövning."""
    kind = _fold_value(row.get("grupptyp"))
    return (
        kind in {"pro", "provning"}
        or _fold_value(row.get("grupp")).startswith("pro:")
        or _fold_value(row.get("status")) == "provning"
    )


def _fold_value(value: JsonValue) -> str:
    return value.strip().casefold().translate(_HEADER_FOLD) if isinstance(value, str) else ""


@dataclass(frozen=True)
class Binding:
    """How a registration rule meets a row: rule parameter -> column, and whether the row is one it judges."""

    args: Mapping[str, str]
    applies: Callable[[Row], bool] = _always
    needs: tuple[str, ...] = ()  # columns the file must have even though the parameters are optional


BINDINGS: dict[str, Binding] = {
    "provning.same_dates": Binding(
        {"start_date": "startdatum", "end_date": "slutdatum", "grade_date": "betygsdatum"}, is_provning
    ),
    "grading.grade_date_is_course_end": Binding(
        {"grade_date": "betygsdatum", "course_end": "slutdatum"}, lambda row: row.get("betygsdatum") is not None
    ),
    # A package dropout's "Ej påbörjat" may be dated the day the student gave notice (scb.package_dropout).
    "scb.not_started_status_date": Binding(
        {"status": "status", "status_date": "statusdatum", "course_start": "startdatum"},
        lambda row: row.get("paketavbrott") is not True,
    ),
    "scb.dropout_day_one": Binding({"status": "status", "status_date": "statusdatum", "course_start": "startdatum"}),
    "scb.replaced_group_dates": Binding(
        {
            "status": "status",
            "start": "startdatum",
            "end": "slutdatum",
            "replaced_start": "ersatt_startdatum",
            "replaced_end": "ersatt_slutdatum",
        },
        needs=("ersatt_startdatum", "ersatt_slutdatum"),
    ),
    "scb.package_container": Binding(
        {"course_code": "kurskod", "reported_to_scb": "rapporteras_scb", "ekonomimarke": "ekonomimarke"}
    ),
    "scb.package_dropout": Binding(
        {"status": "status", "started": "paborjad", "status_date": "statusdatum", "package_dropout": "paketavbrott"},
        lambda row: row.get("paketavbrott") is True,
    ),
}


def binding_for(found: Rule) -> Binding:
    """The binding of a registration rule; a rule without one is fed the columns named like its parameters."""
    return BINDINGS.get(found.id) or Binding({p.name: _ALIASES.get(_fold_header(p.name), p.name) for p in found.params})


# --- the report ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    """A rule that does not hold for one row: its line in the file (the header is line 1) and what to do."""

    row: int
    rule: str
    message: str
    message_en: str
    fix: str | None
    values: Mapping[str, str]  # the columns the rule read, as written in the file
    person: str | None = None  # masked: YYYYMMDD-****
    group: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "row": self.row,
            "rule": self.rule,
            "message": self.message,
            "message_en": self.message_en,
            "fix": self.fix,
            "values": dict(self.values),
            "person": self.person,
            "group": self.group,
        }


@dataclass(frozen=True)
class BadRow:
    """A row that could not be read (wrong number of columns, a bad date, an empty required cell)."""

    row: int
    reason: str
    reason_en: str

    def to_json(self) -> dict[str, object]:
        return {"row": self.row, "reason": self.reason, "reason_en": self.reason_en}


@dataclass(frozen=True)
class RegistrationReport:
    rows: int  # data rows in the file (bad ones included, blank lines not)
    violations: tuple[Violation, ...]
    bad_rows: tuple[BadRow, ...]
    columns: tuple[str, ...]  # the known columns the file has, by their Swedish names
    delimiter: str
    rules_run: tuple[str, ...]
    rules_not_run: Mapping[str, str] = field(default_factory=dict)  # rule id -> why (English, as in to_json)
    rules_not_run_sv: Mapping[str, str] = field(default_factory=dict)  # rule id -> why, in Swedish

    @property
    def ok(self) -> bool:
        return not self.violations and not self.bad_rows

    @property
    def checked(self) -> int:
        return self.rows - len(self.bad_rows)

    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(v.rule for v in self.violations).items()))

    def summary(self, lang: Lang = "sv") -> str:
        violations, bad = len(self.violations), len(self.bad_rows)
        if lang == "sv":
            lines = [
                f"{_count(self.rows, 'rad', 'rader')}: {self.checked} kontrollerade, {violations} regelbrott, "
                f"{_count(bad, 'felaktig rad', 'felaktiga rader')}"
            ]
        else:
            lines = [
                f"{_count(self.rows, 'row')}: {self.checked} checked, {_count(violations, 'violation')}, "
                f"{_count(bad, 'bad row')}"
            ]
        lines += [f"  {rule_id}: {count}" for rule_id, count in self.counts().items()]
        if lang == "sv":
            lines.append(f"regler som kördes: {', '.join(self.rules_run) or 'inga'}")
            lines += [
                f"kördes inte: {rule_id} ({self.rules_not_run_sv.get(rule_id, why)})"
                for rule_id, why in self.rules_not_run.items()
            ]
        else:
            lines.append(f"rules run: {', '.join(self.rules_run) or 'none'}")
            lines += [f"not run: {rule_id} ({why})" for rule_id, why in self.rules_not_run.items()]
        return "\n".join(lines)

    def to_text(self, lang: Lang = "sv") -> str:
        """One line per violation or bad row, in file order, then the summary; no character from the file can
        reach a terminal as a control character, and no message runs on for pages."""
        sv = lang == "sv"
        entries: list[tuple[int, int, str]] = []
        for v in self.violations:
            message = shown(v.message if sv else v.message_en, MESSAGE_MAX, lang)
            fix = f"  {'åtgärd' if sv else 'fix'}: {shown(v.fix, MESSAGE_MAX, lang)}" if v.fix else ""
            entries.append((v.row, 1, f"{'rad' if sv else 'row'} {v.row}: {v.rule}: {message}{fix}"))
        for b in self.bad_rows:
            reason = shown(b.reason if sv else b.reason_en, MESSAGE_MAX, lang)
            entries.append(
                (b.row, 0, f"rad {b.row}: felaktig rad: {reason}" if sv else f"row {b.row}: bad row: {reason}")
            )
        lines = [line for _, _, line in sorted(entries, key=lambda e: (e[0], e[1]))]
        return "\n".join([*lines, self.summary(lang)])

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "rows": self.rows,
            "checked": self.checked,
            "delimiter": self.delimiter,
            "columns": list(self.columns),
            "violations": [v.to_json() for v in self.violations],
            "bad_rows": [b.to_json() for b in self.bad_rows],
            "counts": self.counts(),
            "rules_run": list(self.rules_run),
            "rules_not_run": dict(self.rules_not_run),
        }


def _count(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {plural or noun + 's'}"


VALUE_MAX = 60  # characters of a value from the file quoted in a message
MESSAGE_MAX = 600  # characters of a rule's message or a row's reason (they quote values from the file)


def _visible(char: str) -> str:
    """A control, format (bidi overrides among them) or line separator character written out (`\x1b`, `\u202e`);
    any other character as it is."""
    if unicodedata.category(char) not in ("Cc", "Cf", "Zl", "Zp"):
        return char
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def shown(value: str, limit: int = VALUE_MAX, lang: Lang = "sv") -> str:
    """A value from the file as a message may quote it: control characters escaped visibly, and cut after `limit`
    characters with the full length said, so an escape sequence or a screenful of bytes never reaches a terminal."""
    text = "".join(_visible(c) for c in value[:limit])
    if len(value) <= limit:
        return text
    return f"{text}… ({len(value)} {'tecken' if lang == 'sv' else 'characters'})"


class RegistrationFileInvalid(RutinError):
    """The export cannot be checked at all: not CSV text, empty, or a header with unknown, repeated or missing
    columns. `problems` is English (as the message), `problems_sv` the same in Swedish."""

    def __init__(self, problems: list[str], hint: str, *, problems_sv: list[str], hint_sv: str) -> None:
        super().__init__(
            "the registrations file cannot be checked: " + "; ".join(problems),
            hint,
            sv=("registreringsfilen kan inte kontrolleras: " + "; ".join(problems_sv), hint_sv),
        )
        self.problems = problems
        self.problems_sv = problems_sv


# --- reading the file ----------------------------------------------------------------------------------------


_SAVE_AS_CSV = (
    "save it as UTF-8 text or as CSV (semicolon-delimited), e.g. in Excel: Save as > CSV UTF-8",
    "spara filen som UTF-8 eller CSV (semikolonavgränsad), t.ex. i Excel: Spara som > CSV UTF-8",
)
# Files people give by mistake, known by their first bytes: (magic, English, Swedish)
_NOT_CSV: tuple[tuple[bytes, str, str], ...] = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or another zip file", "en Excel-arbetsbok (.xlsx) eller annan zip-fil"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls)", "en äldre Excel-arbetsbok (.xls)"),
    (b"%PDF", "a PDF document", "ett PDF-dokument"),
)
_SNIFF = 4096  # bytes looked at to tell text from a binary file


def _not_text(en: str, sv: str) -> RegistrationFileInvalid:
    return RegistrationFileInvalid([en], _SAVE_AS_CSV[0], problems_sv=[sv], hint_sv=_SAVE_AS_CSV[1])


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 without a BOM: ASCII-range text has a NUL in every other byte."""
    pairs = len(head) // 2
    if pairs < 2:
        return False
    even = sum(1 for i in range(0, 2 * pairs, 2) if head[i] == 0)
    odd = sum(1 for i in range(1, 2 * pairs, 2) if head[i] == 0)
    return max(even, odd) >= 0.7 * pairs and min(even, odd) <= 0.1 * pairs


def decode_export(data: bytes) -> str:
    """The text of an exported file: UTF-8 with or without BOM, else Windows-1252 (older Swedish Excel).

    A UTF-16 file (Excel's "Unicode text"), a workbook or any other binary file is refused with what it is and
    how to save it as CSV, rather than read as garbage whose bytes would end up in the report.
    """
    head = data[:_SNIFF]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(head):
        raise _not_text(
            'the file is UTF-16 text (as Excel saves "Unicode text"), not UTF-8',
            'filen är UTF-16-text (som Excel sparar "Unicode-text"), inte UTF-8',
        )
    for magic, what, what_sv in _NOT_CSV:
        if head.startswith(magic):
            raise _not_text(f"the file is {what}, not CSV text", f"filen är {what_sv}, inte CSV-text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if _is_binary(text[:_SNIFF]):
        raise _not_text(
            "the file is not text (it holds binary data, e.g. NUL bytes)",
            "filen är inte text (den innehåller binära data, t.ex. NUL-byte)",
        )
    return text


def _is_binary(sample: str) -> bool:
    """A NUL, or more than one character in twenty a control character: no spreadsheet writes that."""
    controls = sum(1 for c in sample if c not in "\t\r\n" and unicodedata.category(c) == "Cc")
    return "\x00" in sample or controls * 20 > len(sample)


def detect_delimiter(header_line: str) -> str:
    """';' or ',' (or a tab), whichever the header line has most of; ',' when it has none."""
    counts = {d: header_line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _known_columns_hint(lang: Lang) -> str:
    sv = lang == "sv"
    required = " (obligatorisk)" if sv else " (required)"
    return ("kända kolumner: " if sv else "known columns: ") + ", ".join(
        f"{c.name}{required if c.required else ''}{' / ' + c.aliases[0] if c.aliases else ''}" for c in COLUMNS
    )


def _invalid_file(problems: _Problems) -> RegistrationFileInvalid:
    return RegistrationFileInvalid(
        problems.en, _known_columns_hint("en"), problems_sv=problems.sv, hint_sv=_known_columns_hint("sv")
    )


def _guess(cell: str) -> str | None:
    import difflib  # only on the error path

    close = difflib.get_close_matches(_fold_header(cell), list(_ALIASES), n=1, cutoff=0.6)
    return _ALIASES[close[0]] if close else None


_HEADER_PROBLEMS_SHOWN = 5  # unknown or repeated columns named one by one; the rest are counted


def _map_header(header: list[str]) -> list[str | None]:
    """Each header cell's column name (None for an empty cell, ignored); raises on unknown or missing columns."""
    mapped: list[str | None] = []
    problems = _Problems()
    for cell in header:
        if not cell.strip():
            mapped.append(None)
            continue
        name = _ALIASES.get(_fold_header(cell))
        if name is None:
            guess = _guess(cell)
            problems.add(
                f"okänd kolumn '{shown(cell.strip())}'" + (f" (menade du '{guess}'?)" if guess else ""),
                f"unknown column '{shown(cell.strip(), lang='en')}'" + (f" (did you mean '{guess}'?)" if guess else ""),
            )
        elif name in mapped:
            problems.add(
                f"kolumnen '{name}' finns två gånger (som '{shown(cell.strip())}')",
                f"the column '{name}' appears twice (as '{shown(cell.strip(), lang='en')}')",
            )
        mapped.append(name)
    if len(problems.en) > _HEADER_PROBLEMS_SHOWN:
        more = len(problems.en) - _HEADER_PROBLEMS_SHOWN
        del problems.sv[_HEADER_PROBLEMS_SHOWN:], problems.en[_HEADER_PROBLEMS_SHOWN:]
        problems.add(f"och {more} kolumner till som inte känns igen", f"and {more} more columns not recognised")
    missing = ", ".join(c.name for c in COLUMNS if c.required and c.name not in mapped)
    if missing:
        problems.add(f"obligatoriska kolumner saknas: {missing}", f"missing required column(s): {missing}")
    if problems.en:
        raise _invalid_file(problems)
    return mapped


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str] | None, str | None]]:
    """(line where the record starts, its cells or None, the csv module's complaint) for every non-blank record."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, None, str(exc)
            if reader.line_num < start:  # the reader cannot move on
                return
            continue
        if cells and any(cell.strip() for cell in cells):
            yield start, cells, None


@dataclass
class _Problems:
    sv: list[str] = field(default_factory=list)
    en: list[str] = field(default_factory=list)

    def add(self, sv: str, en: str) -> None:
        self.sv.append(sv)
        self.en.append(en)


def _read_cell(column: Column, raw: str, problems: _Problems) -> JsonValue:
    if column.kind == "text":
        return raw
    if not raw:
        return None
    if column.kind == "date":
        match = _DATE.fullmatch(raw)
        if match is not None:
            try:
                return date(int(match.group(1)), int(match.group(3)), int(match.group(4))).isoformat()
            except ValueError:
                pass
        problems.add(
            f"{column.name} '{shown(raw)}' är inte ett datum (ÅÅÅÅ-MM-DD)",
            f"{column.name} '{shown(raw, lang='en')}' is not a date",
        )
        return None
    folded = raw.casefold()
    if folded in _YES or folded in _NO:
        return folded in _YES
    problems.add(
        f"{column.name} '{shown(raw)}' är varken ja eller nej",
        f"{column.name} '{shown(raw, lang='en')}' is neither yes nor no",
    )
    return None


def _read_row(columns: list[Column | None], cells: list[str]) -> tuple[Row, dict[str, str], _Problems]:
    problems = _Problems()
    if len(cells) > len(columns) and not any(c.strip() for c in cells[len(columns) :]):
        cells = cells[: len(columns)]  # trailing empty cells, as spreadsheets write them
    if len(cells) != len(columns):
        quote = any("\n" in cell for cell in cells)  # a quote never closed swallows the lines after it
        problems.add(
            f"raden har {len(cells)} kolumner, rubrikraden {len(columns)}"
            + (" (ett citattecken som aldrig stängs?)" if quote else ""),
            f"the row has {len(cells)} columns, the header {len(columns)}"
            + (" (a quote that is never closed?)" if quote else ""),
        )
        return {}, {}, problems
    row: Row = {}
    raw: dict[str, str] = {}
    for column, cell in zip(columns, cells, strict=True):
        if column is None:
            continue
        text = cell.strip()
        raw[column.name] = text
        row[column.name] = _read_cell(column, text, problems)
        if column.required and not text:
            problems.add(f"{column.name} saknas", f"{column.name} is empty")
    return row, raw, problems


# --- the check -----------------------------------------------------------------------------------------------


def _plan(
    columns: set[str], switches: RuleSwitches
) -> tuple[list[tuple[Rule, Binding]], dict[str, str], dict[str, str]]:
    """The registration rules this file can feed, and why each of the others does not run (English, Swedish)."""
    runs: list[tuple[Rule, Binding]] = []
    skipped: dict[str, str] = {}
    skipped_sv: dict[str, str] = {}
    for found in catalogue().values():
        if not found.registration:
            continue
        if not switches.is_on(found):
            skipped[found.id] = "switched off"
            skipped_sv[found.id] = "avstängd"
            continue
        binding = binding_for(found)
        wanted = [binding.args.get(p.name, p.name) for p in found.params if p.required] + list(binding.needs)
        absent = [name for name in dict.fromkeys(wanted) if name not in columns]
        if absent:
            one = len(absent) == 1
            skipped[found.id] = f"the file has no {'column' if one else 'columns'} {', '.join(absent)}"
            skipped_sv[found.id] = f"filen saknar {'kolumnen' if one else 'kolumnerna'} {', '.join(absent)}"
        else:
            runs.append((found, binding))
    return runs, skipped, skipped_sv


def check_registrations(text: str, *, switches: RuleSwitches = _NO_SWITCHES) -> RegistrationReport:
    """Run the registration rules over every row of an export; see the module docstring and COLUMNS."""
    text = text.removeprefix("\ufeff")
    delimiter = detect_delimiter(text.lstrip().split("\n", 1)[0])
    records = _records(text, delimiter)
    _, header, complaint = next(records, (0, None, None))
    if header is None:
        problems = _Problems()
        if complaint is None:
            problems.add("ingen rubrikrad: filen är tom", "no header row: the file is empty")
        else:
            why, why_en = shown(complaint, MESSAGE_MAX), shown(complaint, MESSAGE_MAX, "en")
            problems.add(f"ingen rubrikrad: {why}", f"no header row: {why_en}")
        raise _invalid_file(problems)
    mapped = _map_header(header)
    columns: list[Column | None] = [_BY_NAME[name] if name else None for name in mapped]
    present = {name for name in mapped if name}
    runs, skipped, skipped_sv = _plan(present, switches)
    violations: list[Violation] = []
    bad_rows: list[BadRow] = []
    rows = 0
    for line, cells, complaint in records:
        rows += 1
        if cells is None:
            why, why_en = shown(str(complaint), MESSAGE_MAX), shown(str(complaint), MESSAGE_MAX, "en")
            bad_rows.append(BadRow(line, f"raden kan inte läsas: {why}", f"the row cannot be read: {why_en}"))
            continue
        row, raw, problems = _read_row(columns, cells)
        if problems.sv:
            bad_rows.append(BadRow(line, "; ".join(problems.sv), "; ".join(problems.en)))
            continue
        violations += _judge_row(line, row, raw, runs)
    return RegistrationReport(
        rows=rows,
        violations=tuple(violations),
        bad_rows=tuple(bad_rows),
        columns=tuple(c.name for c in COLUMNS if c.name in present),
        delimiter=delimiter,
        rules_run=tuple(found.id for found, _ in runs),
        rules_not_run=skipped,
        rules_not_run_sv=skipped_sv,
    )


def _judge_row(line: int, row: Row, raw: dict[str, str], runs: list[tuple[Rule, Binding]]) -> list[Violation]:
    found_here: list[Violation] = []
    for found, binding in runs:
        if not binding.applies(row):
            continue
        verdict = found.check({param: row.get(name) for param, name in binding.args.items()})
        if verdict.ok:
            continue
        person = raw.get("personnummer")
        found_here.append(
            Violation(
                row=line,
                rule=found.id,
                message=verdict.message,
                message_en=verdict.message_en,
                fix=verdict.fix,
                values={name: raw[name] for name in binding.args.values() if name in raw},
                person=mask_personnummer(person) if person else None,
                group=raw.get("grupp") or None,
            )
        )
    return found_here


__all__ = [
    "BINDINGS",
    "COLUMNS",
    "BadRow",
    "Binding",
    "Column",
    "RegistrationFileInvalid",
    "RegistrationReport",
    "Violation",
    "binding_for",
    "check_registrations",
    "decode_export",
    "detect_delimiter",
    "is_provning",
    "mask_personnummer",
]
