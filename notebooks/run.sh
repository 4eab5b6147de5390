#!/usr/bin/env bash
# Execute every notebook under notebooks/ headless against the committed results/, failing on the
# first cell error (the notebooks assert the findings their markdown states, so a changed result that
# contradicts a finding fails here). The virtual environment lives in $NOTEBOOK_VENV (default
# .venv-notebooks at the repository root) and is reused when it exists.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${NOTEBOOK_VENV:-.venv-notebooks}
python=${PYTHON:-$(command -v python3.11 || command -v python3)}

if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r notebooks/requirements.txt

# The venv's own python3 kernel spec comes first, before any user-wide one.
export JUPYTER_PATH="$PWD/$venv/share/jupyter"
export MPLBACKEND=Agg
"$venv/bin/python" - notebooks/*.ipynb <<'PY'
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

for path in map(Path, sys.argv[1:]):
    started = time.monotonic()
    nb = nbformat.read(path, as_version=4)
    # Run in memory with cwd=notebooks/ so ../results and figures/ resolve; the file stays output-free.
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    print(f"{path}: ok in {time.monotonic() - started:.1f} s", flush=True)
PY
