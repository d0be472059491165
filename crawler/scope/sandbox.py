"""Chromium's sandbox: as an unprivileged user when the crawler is root, where namespaces allow.

Chromium refuses its sandbox to root ("Running as root without --no-sandbox is not supported"),
and without it a renderer that a page's script breaks into is root. Run as an unprivileged user,
Debian's Chromium gets its namespace sandbox (renderers in their own user, PID and network
namespaces) and seccomp-bpf (measured: docs/CRAWL_SCOPE.md). Playwright launches an executable
with its own arguments, so the launch goes through a small script, written for this crawl
into a private temporary folder, that hands Playwright's profile folder to that user and
``exec``\\ s Chromium under ``setpriv``. The namespace sandbox needs user namespaces, which some
platforms forbid (Docker's default seccomp profile, ``kernel.unprivileged_userns_clone=0``):
:func:`namespaces_allowed` tries one as the browser's user first, and where it fails Chromium
runs without its sandbox (still as the unprivileged user) and the crawl says so.

Settings: ``RENDERED_CHROMIUM_PATH``, ``RENDERED_CHROMIUM_USER``.
"""

from __future__ import annotations

import os
import pwd
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

from crawler.exceptions import SettingError

_SCRIPT = """#!/bin/sh
# Chromium as {user} (uid {uid}), so that its sandbox runs: see crawler/scope/sandbox.py.
set -e
for arg; do
  case "$arg" in --user-data-dir=*) chown -R {uid}:{gid} "${{arg#--user-data-dir=}}";; esac
done
export HOME={home}
exec {setpriv} --reuid={uid} --regid={gid} --clear-groups -- {chromium} "$@"
"""


def namespaces_allowed(account: pwd.struct_passwd | None) -> bool:
    """Whether ``account`` (None: this process's user) can create a user namespace, as Chromium's
    sandbox does; True when it cannot be told (no ``unshare``): then Chromium tries."""
    unshare, setpriv = shutil.which("unshare"), shutil.which("setpriv")
    if unshare is None or account is not None and setpriv is None:
        return True
    prefix = [] if account is None else [str(setpriv), f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}",
                                         "--clear-groups", "--"]
    try:
        return subprocess.run([*prefix, unshare, "--user", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def account_of(user: str) -> pwd.struct_passwd:
    """The unprivileged account Chromium runs as, or a :class:`SettingError` saying why not."""
    try:
        account = pwd.getpwnam(user)
    except KeyError as exc:
        raise SettingError(f"RENDERED_CHROMIUM_USER: no user {user!r} on this machine") from exc
    if account.pw_uid == 0:
        raise SettingError("RENDERED_CHROMIUM_USER: must not be root (Chromium's sandbox needs an unprivileged user)")
    return account


def unprivileged_launcher(chromium: str, user: str) -> Path:
    """Write the script that starts ``chromium`` as ``user``; returns its path (a folder of its
    own, readable by root only, that :func:`remove_launcher` deletes)."""
    account = account_of(user)
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise SettingError("RENDERED_CHROMIUM_USER: `setpriv` (util-linux) is needed to start Chromium as "
                           f"{user!r}; install it, or run the crawler as an unprivileged user")
    folder = Path(tempfile.mkdtemp(prefix="monitor-chromium-"))
    home = folder / "home"
    home.mkdir()
    os.chown(home, account.pw_uid, account.pw_gid)
    script = folder / "chromium"
    script.write_text(_SCRIPT.format(user=user, uid=account.pw_uid, gid=account.pw_gid, home=shlex.quote(str(home)),
                                     setpriv=shlex.quote(setpriv), chromium=shlex.quote(chromium)))
    script.chmod(0o700)
    folder.chmod(0o711)  # the user may enter its HOME, not list the folder
    return script


def remove_launcher(script: Path) -> None:
    shutil.rmtree(script.parent, ignore_errors=True)
