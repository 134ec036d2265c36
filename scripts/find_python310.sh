#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter: $PYTHON310, python3.10 on PATH, or pyenv's.
# Exits 1 with instructions when there is none.
set -uo pipefail
is310() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; }
candidates=()
[ -n "${PYTHON310:-}" ] && candidates+=("$PYTHON310")
command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
for p in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.10*/bin/python3.10; do [ -x "$p" ] && candidates+=("$p"); done
for c in "${candidates[@]}"; do
  if is310 "$c"; then echo "$c"; exit 0; fi
done
cat >&2 <<'MSG'
error: Python 3.10 not found (Rasa 3.6 does not run on newer Pythons).
Install it, then run this command again, for example:
  pyenv install 3.10.13                               # with pyenv
  sudo apt-get install python3.10 python3.10-venv     # where your distribution packages 3.10
or point PYTHON310 at an existing interpreter:  PYTHON310=/path/to/python3.10 make run
MSG
exit 1
