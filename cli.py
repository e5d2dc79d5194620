"""Run jazzgen from a checkout without installing it: `python cli.py --help`."""

from jazzgen.cli import main

if __name__ == "__main__":
    main()
