"""``python -m qndti``."""

from qndti.cli import main

main()
