"""Procedure files in a folder (`procedures/` by default, or --procedures / RUTIN_PROCEDURES).

Its errors are read by administrators as well as process owners, so each carries a Swedish text (`sv=`) too.
"""

from __future__ import annotations

import re
from pathlib import Path

from engine.errors import NotFound, RutinError

_ID_LINE = re.compile(r"^id:\s*['\"]?([A-Za-z0-9_-]+)", re.MULTILINE)
_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")  # what an id may be; anything else is no file's id (nor a path)


class ProcedureFolder:
    def __init__(self, folder: Path) -> None:
        if not folder.is_dir():
            raise RutinError(
                f"the procedures folder does not exist: {folder}",
                "give --procedures DIR (or RUTIN_PROCEDURES) naming a folder of .yaml files",
                sv=(
                    f"mappen med rutiner finns inte: {folder}",
                    "ange --procedures MAPP (eller RUTIN_PROCEDURES) med en mapp som har .yaml-filer",
                ),
            )
        self.folder = folder
        self._indexed: tuple[tuple[tuple[str, int, int], ...], dict[str, list[Path]]] | None = None

    def _files(self) -> list[Path]:
        return sorted(p for p in self.folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())

    def _index(self) -> dict[str, list[Path]]:
        """Every id with the files that declare it (more than one is an error `text` reports).

        Kept until a file is added, removed or changed (name, size, modification time): `migrate --all-safe` asks
        for the current version once per case, and reading every file each time cost O(cases × files)."""
        files = self._files()
        stamp = tuple((p.name, *_size_and_time(p)) for p in files)
        if self._indexed is not None and self._indexed[0] == stamp:
            return self._indexed[1]
        index: dict[str, list[Path]] = {}
        for path in files:
            match = _ID_LINE.search(path.read_text(encoding="utf-8", errors="replace"))
            index.setdefault(match.group(1) if match else path.stem, []).append(path)
        self._indexed = (stamp, index)
        return index

    def ids(self) -> list[str]:
        return sorted(self._index())

    def text(self, procedure_id: str) -> tuple[str, str]:
        index = self._index()  # every file's id: two files with one id must be refused, whichever is asked for
        paths = index.get(procedure_id) if _ID.fullmatch(procedure_id) else None  # never a path built from it
        if not paths:
            raise _no_procedure(procedure_id, sorted(index), self.folder)
        if len(paths) > 1:
            names = ", ".join(p.name for p in paths)
            raise RutinError(
                f"two files declare the procedure id '{procedure_id}': {names}",
                "give each procedure its own id, or remove the copy from the folder (`rutin procedures validate`)",
                sv=(
                    f"två filer anger rutinens id '{procedure_id}': {names}",
                    "ge varje rutin ett eget id, eller ta bort kopian ur mappen (`rutin procedures validate`)",
                ),
            )
        return read_text(paths[0]), str(paths[0])

    def all(self) -> list[tuple[str, str]]:
        return [(read_text(p), str(p)) for p in self._files()]


def _size_and_time(path: Path) -> tuple[int, int]:
    found = path.stat()
    return found.st_size, found.st_mtime_ns


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RutinError(
            f"{path} is not UTF-8 text (byte {exc.start})",
            "save the file as UTF-8",
            sv=(f"{path} är inte text i UTF-8 (byte {exc.start})", "spara filen som UTF-8"),
        ) from exc
    except OSError as exc:
        raise RutinError(
            f"cannot read {path}: {exc.strerror}",
            "check that the file exists and that you may read it",
            sv=(f"kan inte läsa {path}: {exc.strerror}", "kontrollera att filen finns och att du får läsa den"),
        ) from exc


def _no_procedure(procedure_id: str, known: list[str], folder: Path) -> NotFound:
    """'No such procedure', with the closest id (or every id) as the hint, in English and Swedish."""
    from engine.diagnostics import did_you_mean

    close = did_you_mean(procedure_id, known)
    if close is not None:
        hint, hint_sv = close, close.replace("did you mean", "menade du")
    elif known:
        hint, hint_sv = "the procedures there are: " + ", ".join(known), "rutinerna där är: " + ", ".join(known)
    else:
        hint = "the folder holds no procedures: give --procedures DIR naming a folder of .yaml files"
        hint_sv = "mappen har inga rutiner: ange --procedures MAPP med en mapp som har .yaml-filer"
    return NotFound(
        f"there is no procedure '{procedure_id}' in {folder}",
        hint,
        sv=(f"det finns ingen rutin '{procedure_id}' i {folder}", hint_sv),
    )
