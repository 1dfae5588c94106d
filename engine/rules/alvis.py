"""Rules of Järfälla's Alvis: how a staff account's username is made.

A username is the school's prefix + the first two letters of the first name + the first three letters of
the surname. Only letters count (hyphens, spaces and apostrophes in a name are skipped); a name with fewer
letters gives all it has (Li → "Li", Ek → "Ek"), so the username is then shorter, never padded. The
comparison ignores case and accents: Å, Ä and Ö may be written A, A and O (and é as e, ø as o), in the
username as in the names, since usernames are often kept to a–z. Nothing here raises on odd input.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from engine.rules import Param, Verdict, rule
from engine.values import JsonValue

__all__ = ["expected_username", "folded", "unaccented"]

SEED_004 = "004_b95a9f073a0234d6.txt"

FIRST_NAME_LETTERS = 2
SURNAME_LETTERS = 3

# Letters that Unicode does not decompose into a base letter and an accent.
_PLAIN = str.maketrans(
    {"ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae", "œ": "oe", "Œ": "Oe", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i"}
)


def unaccented(text: str) -> str:
    """The text without accents, case kept: "JKÅsÖst" → "JKAsOst"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_PLAIN))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def folded(text: str) -> str:
    """Lower case without accents: "ÅsÖst" → "asost", so that å/ä/ö and a/a/o compare equal."""
    return unaccented(text.casefold())


def _letters(name: str, count: int) -> str:
    return "".join(char for char in name if char.isalpha())[:count]


def expected_username(school_prefix: str, first_name: str, last_name: str) -> str:
    """The username the routine gives, with the letters as written: ("JK", "Åsa", "Öst") → "JKÅsÖst"."""
    return school_prefix.strip() + _letters(first_name, FIRST_NAME_LETTERS) + _letters(last_name, SURNAME_LETTERS)


def _missing(values: Mapping[str, JsonValue]) -> Verdict | None:
    labels = {
        "username": ("användarnamnet", "username"),
        "school_prefix": ("skolans prefix", "school prefix"),
        "first_name": ("förnamnet", "first name"),
        "last_name": ("efternamnet", "surname"),
    }
    for key, (sv, en) in labels.items():
        value = values.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            return Verdict.breaks(f"{sv.capitalize()} saknas.", f"The {en} is missing.", f"Fyll i {sv}.")
        if not isinstance(value, str):
            return Verdict.breaks(
                f"{sv.capitalize()} ska vara text, inte {value!r}.",
                f"The {en} must be text, not {value!r}.",
                f"Fyll i {sv} som text.",
            )
        if key in ("first_name", "last_name") and not _letters(value, 1):
            return Verdict.breaks(
                f"{sv.capitalize()} {value!r} innehåller inga bokstäver.",
                f"The {en} {value!r} contains no letters.",
                f"Fyll i {sv} som det står i personens id-handling.",
            )
    return None


@rule(
    "alvis.staff_username",
    title="Användarnamn: skolans prefix + två bokstäver av förnamnet + tre av efternamnet",
    title_en="Username: school prefix + first two letters of the first name + first three of the surname",
    scope="municipal",
    municipality="Järfälla",
    source=f"{SEED_004} – Saknar du konto? Så skapas ett konto",
    cite=(
        "Användarnamnen i Järfällas Alvis består av skolans prefix + de två första bokstäverna i förnamnet + "
        "de tre första bokstäverna i efternamnet."
    ),
    params=(
        Param("username", "text"),
        Param("school_prefix", "text", description="the school's prefix in Alvis"),
        Param("first_name", "text"),
        Param("last_name", "text"),
    ),
)
def staff_username(values: Mapping[str, JsonValue]) -> Verdict:
    """The username equals the expected one, ignoring case, accents and surrounding spaces."""
    problem = _missing(values)
    if problem is not None:
        return problem
    username, prefix, first, last = (
        str(values[key]).strip() for key in ("username", "school_prefix", "first_name", "last_name")
    )
    expected = expected_username(prefix, first, last)
    if folded(username) == folded(expected):
        return Verdict.holds()
    plain = unaccented(expected)
    also_sv = f" (eller {plain})" if plain != expected else ""
    also_en = f" (or {plain})" if plain != expected else ""
    first_part, last_part = _letters(first, FIRST_NAME_LETTERS), _letters(last, SURNAME_LETTERS)
    return Verdict.breaks(
        f"Användarnamnet {username} följer inte Järfällas mönster: det ska vara {expected}{also_sv}, dvs. "
        f"prefixet {prefix} + {first_part} från förnamnet {first} + {last_part} från efternamnet {last}.",
        f"The username {username} does not follow Järfälla's pattern: it should be {expected}{also_en}, i.e. "
        f"the prefix {prefix} + {first_part} from the first name {first} + {last_part} from the surname {last}.",
        f"Ändra användarnamnet till {expected}{also_sv}; stora eller små bokstäver spelar ingen roll.",
    )
