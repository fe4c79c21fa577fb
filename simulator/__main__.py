"""Lets `python -m simulator` run the `pos-sim` command line."""

from simulator.cli import main

raise SystemExit(main())
