"""The staff workspace in the browser (``monitor web``): the routing and fact-check queues, an
incident's page and actions, search, the overview and the audit log, the service levels and the
weekly reports, over the Store interface."""

from __future__ import annotations

from web.accounts import ROLES, Accounts, User
from web.app import create_app
from web.config import WebConfig
from web.exceptions import AccountError, WebConfigError, WebError
from web.state import Workspace

__all__ = ["ROLES", "AccountError", "Accounts", "User", "WebConfig", "WebConfigError", "WebError", "Workspace",
           "create_app"]
