"""`python -m testrun_action`: the action's entrypoint (action mode with no arguments)."""

import sys

from .cli import main

sys.exit(main())
