"""``monitor users add|list``: the workspace's staff accounts (``WEB_USERS_FILE``).

The password is read from a prompt (twice) or from the first line of standard input, never from the
command line, where other users of the machine and the shell's history would see it.
"""

from __future__ import annotations

import argparse
import sys

from monitor.common import UsageError, add_settings, settings

ROLES = ["operator", "fact-checker", "supervisor", "admin"]


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    users = sub.add_parser("users", help="the web workspace's staff accounts")
    actions = users.add_subparsers(required=True, dest="action", metavar="ACTION")
    add = actions.add_parser("add", help="create an account or set its role and password (asked, or read from stdin)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add_settings(add)
    add.set_defaults(run=run_add)
    listing = actions.add_parser("list", help="the accounts and their roles")
    add_settings(listing)
    listing.set_defaults(run=run_list)


def run_add(args: argparse.Namespace) -> int:
    from web.accounts import Accounts
    from web.exceptions import AccountError

    password = read_password()
    config = settings(args)
    try:
        accounts = Accounts(config["WEB_USERS_FILE"])
        try:
            user = accounts.add_user(args.name, args.role, password)
        finally:
            accounts.close()
    except AccountError as exc:
        raise UsageError(str(exc)) from exc
    print(f"{user.name}: {user.role} in {config['WEB_USERS_FILE']}")
    return 0


def read_password() -> str:
    """Asked twice at a terminal; otherwise the first line of standard input."""
    import getpass

    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise UsageError("the two passwords differ")
    return first


def run_list(args: argparse.Namespace) -> int:
    from web.accounts import Accounts
    from web.exceptions import AccountError

    config = settings(args)
    try:
        accounts = Accounts(config["WEB_USERS_FILE"])
    except AccountError as exc:
        raise UsageError(str(exc)) from exc
    try:
        for user in accounts.users():
            print(f"{user.name}\t{user.role}")
    finally:
        accounts.close()
    return 0
