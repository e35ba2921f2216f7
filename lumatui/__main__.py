"""`python -m lumatui` is the same as the `lumatui` command."""

from lumatui.cli import main

raise SystemExit(main())
