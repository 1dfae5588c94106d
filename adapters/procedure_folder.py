"""Procedure files in a folder (`procedures/` by default, or --procedures / RUTIN_PROCEDURES)."""

from __future__ import annotations

import re
from pathlib import Path

from engine.errors import NotFound, RutinError

_ID_LINE = re.compile(r"^id:\s*['\"]?([A-Za-z0-9_-]+)", re.MULTILINE)


class ProcedureFolder:
    def __init__(self, folder: Path) -> None:
        if not folder.is_dir():
            raise RutinError(
                f"the procedures folder does not exist: {folder}",
                "give --procedures DIR (or RUTIN_PROCEDURES) naming a folder of .yaml files",
            )
        self.folder = folder

    def _files(self) -> list[Path]:
        return sorted(p for p in self.folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())

    def _index(self) -> dict[str, Path]:
        index: dict[str, Path] = {}
        for path in self._files():
            match = _ID_LINE.search(path.read_text(encoding="utf-8", errors="replace"))
            index.setdefault(match.group(1) if match else path.stem, path)
        return index

    def ids(self) -> list[str]:
        return sorted(self._index())

    def text(self, procedure_id: str) -> tuple[str, str]:
        for suffix in (".yaml", ".yml"):  # the usual case: the file is named after its id; read only that one
            named = self.folder / f"{procedure_id}{suffix}"
            if named.is_file():
                text = read_text(named)
                found = _ID_LINE.search(text)
                if found is not None and found.group(1) == procedure_id:
                    return text, str(named)
        index = self._index()
        path = index.get(procedure_id)
        if path is None:
            from engine.diagnostics import hint_for

            raise NotFound(f"there is no procedure '{procedure_id}' in {self.folder}", hint_for(procedure_id, index))
        return read_text(path), str(path)

    def all(self) -> list[tuple[str, str]]:
        return [(read_text(p), str(p)) for p in self._files()]


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise RutinError(f"{path} is not UTF-8 text (byte {exc.start})", "save the file as UTF-8") from exc
    except OSError as exc:
        raise RutinError(f"cannot read {path}: {exc.strerror}") from exc
