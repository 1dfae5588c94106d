"""The procedure folder's errors through the real `rutin`: Swedish by default, English with --lang en.

An unknown procedure, a folder that does not exist or holds nothing, and a file that is not UTF-8 are
mistakes an administrator makes at the command line; each says what was wrong and what to do, exits 1 and
writes nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from adapters.procedure_folder import read_text
from engine.errors import RutinError
from tests.cli.helpers import Cli
from tests.conftest import PROCEDURES

SHIPPED_IDS = sorted(p.stem for p in PROCEDURES.glob("*.yaml"))  # each shipped file is named after its id


def admin_cli(tmp_path: Path, procedures: Path = PROCEDURES) -> Cli:
    """`rutin` as admin in the default language, on a new database."""
    cli = Cli(tmp_path, procedures=procedures, user="admin", lang=None, now=None)
    made = cli("users", "add", "admin", "--admin")
    assert made.returncode == 0, made.stderr
    return cli


def refusal(cli: Cli, *args: str) -> list[str]:
    """stderr's lines of a command that must fail with exit 1, print nothing on stdout and write nothing."""
    before = cli.dump()
    done = cli(*args)
    assert (done.returncode, done.stdout) == (1, ""), done.stderr
    assert "Traceback" not in done.stderr
    assert cli.dump() == before
    return done.stderr.splitlines()


@pytest.mark.parametrize(
    "command",
    [("procedures", "show"), ("procedures", "graph"), ("case", "start")],
    ids=" ".join,
)
def test_a_misspelled_procedure_is_told_in_swedish_with_the_right_id(tmp_path: Path, command: tuple[str, ...]) -> None:
    cli = admin_cli(tmp_path)

    told = refusal(cli, *command, "avregistrering-betyx")

    assert told == [
        f"fel: det finns ingen rutin 'avregistrering-betyx' i {PROCEDURES}",
        "    tips: menade du 'avregistrering-betyg'?",
    ]


def test_a_misspelled_procedure_is_told_in_english_with_lang_en(tmp_path: Path) -> None:
    cli = admin_cli(tmp_path)

    told = refusal(cli, "--lang", "en", "case", "start", "avregistrering-betyx")

    assert told == [
        f"error: there is no procedure 'avregistrering-betyx' in {PROCEDURES}",
        "    hint: did you mean 'avregistrering-betyg'?",
    ]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ([], ["fel: det finns ingen rutin 'betyg' i {folder}", "    tips: rutinerna där är: {ids}"]),
        (
            ["--lang", "en"],
            ["error: there is no procedure 'betyg' in {folder}", "    hint: the procedures there are: {ids}"],
        ),
    ],
    ids=["sv", "en"],
)
def test_an_id_like_none_of_the_procedures_is_answered_with_every_id(
    tmp_path: Path, lang: list[str], expected: list[str]
) -> None:
    cli = admin_cli(tmp_path)

    told = refusal(cli, *lang, "procedures", "show", "betyg")

    assert told == [line.format(folder=PROCEDURES, ids=", ".join(SHIPPED_IDS)) for line in expected]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            [],
            [
                "fel: det finns ingen rutin 'avregistrering-betyg' i {folder}",
                "    tips: mappen har inga rutiner: ange --procedures MAPP med en mapp som har .yaml-filer",
            ],
        ),
        (
            ["--lang", "en"],
            [
                "error: there is no procedure 'avregistrering-betyg' in {folder}",
                "    hint: the folder holds no procedures: give --procedures DIR naming a folder of .yaml files",
            ],
        ),
    ],
    ids=["sv", "en"],
)
def test_an_empty_procedures_folder_says_so(tmp_path: Path, lang: list[str], expected: list[str]) -> None:
    empty = tmp_path / "tom"
    empty.mkdir()
    cli = admin_cli(tmp_path, empty)

    told = refusal(cli, *lang, "case", "start", "avregistrering-betyg")

    assert told == [line.format(folder=empty) for line in expected]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            [],
            [
                "fel: mappen med rutiner finns inte: {folder}",
                "    tips: ange --procedures MAPP (eller RUTIN_PROCEDURES) med en mapp som har .yaml-filer",
            ],
        ),
        (
            ["--lang", "en"],
            [
                "error: the procedures folder does not exist: {folder}",
                "    hint: give --procedures DIR (or RUTIN_PROCEDURES) naming a folder of .yaml files",
            ],
        ),
    ],
    ids=["sv", "en"],
)
def test_a_procedures_folder_that_does_not_exist_says_how_to_name_one(
    tmp_path: Path, lang: list[str], expected: list[str]
) -> None:
    cli = admin_cli(tmp_path)
    missing = tmp_path / "finns-inte"

    told = refusal(cli, *lang, "--procedures", str(missing), "procedures", "show", "avregistrering-betyg")

    assert told == [line.format(folder=missing) for line in expected]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ([], ["fel: {path} är inte text i UTF-8 (byte {at})", "    tips: spara filen som UTF-8"]),
        (["--lang", "en"], ["error: {path} is not UTF-8 text (byte {at})", "    hint: save the file as UTF-8"]),
    ],
    ids=["sv", "en"],
)
def test_a_procedure_saved_in_latin_1_names_the_file_and_the_byte(
    tmp_path: Path, lang: list[str], expected: list[str]
) -> None:
    folder = tmp_path / "rutiner"
    shutil.copytree(PROCEDURES, folder)
    latin = folder / "latin.yaml"
    written = "id: latin\ntitle: Betyg på kurs\n"
    latin.write_bytes(written.encode("latin-1"))  # one byte a character: the å is the first byte UTF-8 refuses
    cli = admin_cli(tmp_path, folder)

    told = refusal(cli, *lang, "case", "start", "latin")

    assert told == [line.format(path=latin, at=written.index("å")) for line in expected]


def test_a_file_that_cannot_be_read_is_told_in_both_languages(tmp_path: Path) -> None:
    # As root every file can be read, so the command line cannot show this one; a folder given as a file can.
    with pytest.raises(RutinError, match="cannot read") as exc_info:
        read_text(tmp_path)

    error = exc_info.value
    assert error.localized("en") == (
        f"cannot read {tmp_path}: Is a directory",
        "check that the file exists and that you may read it",
    )
    assert error.localized("sv") == (
        f"kan inte läsa {tmp_path}: Is a directory",
        "kontrollera att filen finns och att du får läsa den",
    )
