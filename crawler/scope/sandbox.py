"""Chromium's sandbox when the crawler runs as root: the browser runs as an unprivileged user.

Chromium refuses its sandbox to root ("Running as root without --no-sandbox is not supported"),
and without it a renderer that a page's script breaks into is root. Run as an unprivileged user,
Debian's Chromium gets its namespace sandbox (renderers in their own user, PID and network
namespaces) and seccomp-bpf (measured: docs/CRAWL_SCOPE.md). Playwright launches an executable
with its own arguments, so the launch goes through a small script, written for this crawl
into a private temporary folder, that hands Playwright's profile folder to that user and
``exec``\\ s Chromium under ``setpriv``.

Settings: ``RENDERED_CHROMIUM_PATH``, ``RENDERED_CHROMIUM_USER``.
"""

from __future__ import annotations

import os
import pwd
import shlex
import shutil
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


def unprivileged_launcher(chromium: str, user: str) -> Path:
    """Write the script that starts ``chromium`` as ``user``; returns its path (a folder of its
    own, readable by root only, that :func:`remove_launcher` deletes)."""
    try:
        account = pwd.getpwnam(user)
    except KeyError as exc:
        raise SettingError(f"RENDERED_CHROMIUM_USER: no user {user!r} on this machine") from exc
    if account.pw_uid == 0:
        raise SettingError("RENDERED_CHROMIUM_USER: must not be root (Chromium's sandbox needs an unprivileged user)")
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
