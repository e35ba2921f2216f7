"""lumatui: a keyboard-driven terminal workstation for Luma's Agents API."""

import sys

__version__ = "0.1.0"

# httpx imports its own command-line client (click, pygments lexers, rich's syntax and
# progress) whenever those happen to be installed, and here they are (uvicorn brings click,
# rich brings pygments): about half of httpx's import time, paid by every lumatui process
# for a client it never runs. With the module marked absent httpx takes its documented
# fallback (its `main` then says the CLI extras are missing); nothing else changes.
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
