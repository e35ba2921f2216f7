"""lumatui: a keyboard-driven terminal workstation for Luma's Agents API."""

__version__ = "0.1.0"
