"""`python -m jazzgen` runs the command line."""

from jazzgen.cli import main

main()
