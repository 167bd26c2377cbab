"""Runs the counter-desk CLI as ``python -m antrean.counter``."""

from antrean.counter.cli import main

main()
