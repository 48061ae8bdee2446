"""`python -m hfwidgets`: the command line (see `hfwidgets --help`)."""

from ._cli import main

if __name__ == "__main__":
    main()
