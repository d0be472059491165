"""The workspace's errors.

    WebError
    ├── AccountError   the accounts file cannot be opened, or an account is not valid
    └── WebConfigError a WEB_* setting that cannot be used
"""

from __future__ import annotations


class WebError(Exception):
    """Anything the workspace refuses with a message for a person."""


class AccountError(WebError):
    """An account that cannot be made as asked, or an accounts file that cannot be opened."""


class WebConfigError(WebError):
    """A ``WEB_*`` setting that cannot be used."""
