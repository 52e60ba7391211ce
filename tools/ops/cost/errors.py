"""The one error type the cost tool shows to its user."""


class CostToolError(Exception):
    """A problem the user can fix; the command line prints it as a single line."""
