"""Performance benchmarks of hfwidgets against the local emulator (figures printed, never asserted).

Run them with `python -m benchmarks`; see `benchmarks/README.md`.
"""
