"""The Textual workstation: screens, widgets and messages (imports engine and api)."""
