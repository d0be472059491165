"""Installs the test suite's network guard in every Python process the tests start."""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("_netguard", Path(__file__).resolve().parent.parent / "netguard.py")
if _spec is not None and _spec.loader is not None:
    _netguard = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_netguard)
    _netguard.install()
