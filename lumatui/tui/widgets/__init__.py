"""The workstation's widgets, one folder per screen area."""
