"""Command-line entry point: ``python run.py [run|check|...] SCENARIO ...`` (see ``--help``)."""

import sys

if __name__ == "__main__":
    try:
        from sim.cli import main
    except KeyboardInterrupt:              # Ctrl-C before anything started
        sys.exit(130)
    sys.exit(main())
