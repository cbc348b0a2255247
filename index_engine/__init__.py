"""The pure core of QN-DTI Monitor: the catalog, Observation v1 and the index arithmetic.

Nothing here does I/O beyond reading the bundled catalog files, and nothing reads a clock: time is an
argument.
"""
