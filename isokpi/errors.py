"""The base classes of every error meant for people, so that pages and the CLI catch one thing.

Each concern declares its own error next to its code (SourceError in sources.py, ReviewError in review.py ...)
as a subclass of one of these. The message always says what was wrong, where, and what to do.
"""

from __future__ import annotations


class IsokpiError(Exception):
    """Something a person can act on went wrong; str(error) is the message to show. CLI exit code 1."""

    exit_code = 1


class InputError(IsokpiError, ValueError):
    """Input a person can fix: a file, a mapping, an argument, a form field. CLI exit code 2."""

    exit_code = 2
