"""Errors a user can fix: printed as one clear message by the CLI, exit status 2."""


class UserError(Exception):
    """Bad input or environment that the person running medai can correct."""
