"""Subcommands of the `lumatui` command line, one module each with a `register` function."""
