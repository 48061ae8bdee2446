"""`python -m benchmarks`: run every benchmark and print the table of figures (see run.py)."""

import sys

from benchmarks.run import main

sys.exit(main())
