"""Allow ``python -m rdconsole``."""

from rdconsole.cli import main

raise SystemExit(main())
