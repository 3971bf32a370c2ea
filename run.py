"""Command-line entry point: ``python run.py [run|check] SCENARIO ...`` (see ``--help``)."""

import sys

from sim.cli import main

if __name__ == "__main__":
    sys.exit(main())
