"""Run `rnnkit grade` the way each kind of machine runs it, from this root CI machine.

| mode | models | how |
|---|---|---|
| ``namespaces`` | root with CAP_SYS_ADMIN (CI, a VM) | as is |
| ``docker-root`` | Gradescope: root with Docker's default capabilities, Landlock allowed | ``setpriv`` drops every capability Docker does not grant |
| ``docker-root-no-landlock`` | the same on an older Docker or kernel | and a seccomp filter makes the Landlock calls fail (ENOSYS) |
| ``non-root`` | an instructor's laptop with Landlock | ``setpriv`` to an ordinary uid |
| ``non-root-no-landlock`` | a laptop without Landlock | and the Landlock calls fail |

Python lives under /root here (pyenv), which other users cannot enter; the wrapper gives the
command a private mount namespace in which /root is an open folder holding only the Python
installation, before it drops any privilege. The kit's checkout is world-readable, as checkouts
are: the Docker modes grade from a private copy (mode 0700), as the Gradescope zip's setup.sh
arranges, or from the checkout to show that the kit then refuses.

Used as a script: ``python grader_modes.py MODE COMMAND...`` (run as root).
"""

import ctypes
import errno
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

MODES = ("namespaces", "docker-root", "docker-root-no-landlock", "non-root", "non-root-no-landlock")
DOCKER_CAPABILITIES = (
    "chown,dac_override,fsetid,fowner,mknod,net_raw,setgid,setuid,setfcap,setpcap,"
    "net_bind_service,sys_chroot,kill,audit_write"
)
TEST_UID = 4242
ROOT = Path(__file__).resolve().parents[1]
LANDLOCK_CALLS = ("landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self")


def runs_as_root(mode):
    return not mode.startswith("non-root")


def prefix(mode):
    """The command prefix that runs a command in ``mode``."""
    if mode == "namespaces":
        return []
    return [sys.executable, str(Path(__file__).resolve()), mode]


def private_kit():
    """A copy of the engine, graders and solutions in a folder only root can enter."""
    holder = Path(tempfile.mkdtemp(prefix="rnnkit-private-"))
    holder.chmod(0o700)
    for part in ("autograder", "solutions"):
        shutil.copytree(ROOT / part, holder / part, ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    return holder


def open_workdir():
    """A folder the test uid can use (submission, results): for the non-root modes."""
    folder = Path(tempfile.mkdtemp(prefix="rnnkit-mode-"))
    folder.chmod(0o777)
    return folder


# --- the wrapper -------------------------------------------------------------------------------


def _open_root_view():
    """In a new mount namespace, replace /root by an open tmpfs holding the folders under /root
    that Python needs (bound from the real ones)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x00020000) != 0:  # CLONE_NEWNS
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
    subprocess.run(["mount", "--make-rprivate", "/"], check=True)
    needed = {
        Path(p).resolve().relative_to("/root").parts[0]
        for p in (sys.executable, sys.prefix, sys.base_prefix, ROOT)
        if Path(p).resolve().is_relative_to("/root")
    }
    if not needed or os.stat("/root").st_mode & 0o001:
        return
    view = tempfile.mkdtemp(prefix="rnnkit-rootview-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755,size=1m", "tmpfs", view], check=True)
    for name in sorted(needed):
        os.mkdir(os.path.join(view, name))
        subprocess.run(["mount", "--rbind", f"/root/{name}", os.path.join(view, name)], check=True)
    subprocess.run(["mount", "--move", view, "/root"], check=True)


def _without_landlock():
    sys.path.insert(0, str(ROOT / "autograder" / "rnnkit" / "sandbox"))  # as the jail imports it
    import seccomp

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "no_new_privs")
    seccomp.deny(LANDLOCK_CALLS, errno.ENOSYS)


def main(mode, command):
    _open_root_view()
    if mode.endswith("no-landlock"):
        _without_landlock()
    if runs_as_root(mode):
        setpriv = ["setpriv", f"--bounding-set=-all,+{DOCKER_CAPABILITIES.replace(',', ',+')}", "--inh-caps=-all"]
    else:
        setpriv = [
            "setpriv", f"--reuid={TEST_UID}", f"--regid={TEST_UID}", "--clear-groups", "--inh-caps=-all",
        ]
        os.environ["HOME"] = "/tmp"
    os.execvp("setpriv", [*setpriv, "--", *command])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
