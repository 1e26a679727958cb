"""Errors that carry a message fit for one line on stderr."""


class InputError(Exception):
    """Bad input from the user (a file, a flag, a message): exit status 2, no traceback."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem
