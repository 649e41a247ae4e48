"""`python -m testrun_action`: the action's entrypoint (action mode with no arguments)."""

import sys

try:
    from .cli import main, quiet_broken_pipe

    code = quiet_broken_pipe(main)
except KeyboardInterrupt:
    # SIGINT before the flow installed its handler (it arrives during start-up): nothing was triggered.
    code = 130
sys.exit(code)
