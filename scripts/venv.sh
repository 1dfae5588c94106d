# Sourced by the scripts here: make .venv with Python 3.11+ and install the project into it (once per change
# of pyproject.toml). RUTIN_PYTHON picks the interpreter.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY="${RUTIN_PYTHON:-}"
if [ -z "$PY" ]; then
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      PY="$candidate"; break
    fi
  done
fi
[ -n "$PY" ] || { echo "error: Python 3.11 or newer is needed (set RUTIN_PYTHON to its path)" >&2; exit 1; }
extras="${1:-}"
stamp=".venv/.installed${extras:+-$extras}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip >/dev/null
  # compat mode: a plain path entry instead of an import hook, which would cost every command ~10 ms
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --config-settings editable_mode=compat \
    -e ".${extras:+[$extras]}"
  touch "$stamp"
fi
