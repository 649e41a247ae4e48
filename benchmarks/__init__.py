"""`make bench`: how fast testrun-action starts, how frugally it waits, how it scales, how big it is.

Every figure is taken in the same run as what it is compared with, and reported as a value and a
ratio. The table goes to `benchmarks/results/latest.md`, copied into docs/performance.md by `make docs`.
Not part of `make test`: the figures depend on the machine, so they are measured, not asserted.
"""
