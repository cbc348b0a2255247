"""Errors of the local stack.

Hierarchy::

    StackError    a part of the local stack cannot be installed, started or reached; the message says what to do
"""


class StackError(Exception):
    """A part of the local stack cannot be installed, started or reached; the message says what to do."""
