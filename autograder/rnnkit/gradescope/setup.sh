#!/usr/bin/env bash
# rnnkit autograder for @HOMEWORK@. Gradescope runs this once, as root, when it builds the image.
# It installs the kit and its grading dependencies into a virtualenv (the system python3, which
# Gradescope's own harness runs on, is left alone), creates the user submissions run as, and hides
# the graders from that user by ownership and file modes: the wall that holds whatever the host's
# kernel offers (namespaces and Landlock may both be missing there).
set -euo pipefail

SOURCE=/autograder/source
VENV=/opt/rnnkit/venv
SANDBOX_USER=rnnkit-sandbox
TORCH_SPEC='torch==@TORCH_VERSION@'
TORCH_INDEX='@TORCH_INDEX@'  # empty: pip's own index (on Linux, PyPI's torch is a CUDA build)
PIP=("$VENV/bin/python" -m pip install --quiet --no-cache-dir)

if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  apt-get install -y --no-install-recommends python3-venv
fi
python3 -m venv "$VENV"
"${PIP[@]}" --upgrade pip
if [ -n "$TORCH_INDEX" ]; then
  "${PIP[@]}" --index-url "$TORCH_INDEX" "$TORCH_SPEC"
else
  "${PIP[@]}" "$TORCH_SPEC"
fi
"${PIP[@]}" "$SOURCE/kit"  # a plain install: the graders travel inside the package

id -u "$SANDBOX_USER" >/dev/null 2>&1 ||
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$SANDBOX_USER"

# Everyone may run the virtualenv's Python; only root may read the kit and the zip's sources.
KIT_PACKAGE=$("$VENV/bin/python" -c 'import os, rnnkit; print(os.path.dirname(rnnkit.__file__))')
chmod -R a+rX "$VENV"
chown -R root:root "$SOURCE" "$KIT_PACKAGE"
chmod -R go-rwx "$SOURCE" "$KIT_PACKAGE"
# The packages this homework does not allow students (torch in a numpy-only homework): root-only too.
"$VENV/bin/python" -m rnnkit.sandbox walls "@HOMEWORK@" | xargs -0 -r chmod -R go-rwx

# Check what run_autograder relies on, so a broken image fails here and not on a student.
"$VENV/bin/python" -c 'from rnnkit import homeworks; homeworks.load("@HOMEWORK@")'
runuser -u "$SANDBOX_USER" -- "$VENV/bin/python" -I -c 'import numpy'
if runuser -u "$SANDBOX_USER" -- test -r "$KIT_PACKAGE/graders/conftest.py"; then
  echo "setup.sh: the graders are readable by $SANDBOX_USER" >&2
  exit 1
fi
echo "rnnkit autograder for @HOMEWORK@ installed: $("$VENV/bin/python" -c 'import torch; print("torch", torch.__version__)')"
