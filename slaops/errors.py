"""The error a broken rule raises, for every caller to show in its own terms: the API answers
400 naming `field`, pages and the admin show `message` beside the field."""


class ThreadError(Exception):
    """A change that breaks a rule; `field` names what to fix.

    Not a ValueError: callers that turn a ValueError into "no such thread" (a malformed id) must
    not swallow a broken rule too."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message
