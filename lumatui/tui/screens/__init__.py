"""The workstation's screens: the main four-pane screen, help, and the confirm dialog."""
