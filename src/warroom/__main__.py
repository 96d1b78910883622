"""Allow `python -m warroom` where the console script is not on PATH."""

from warroom.cli.main import main

raise SystemExit(main())
