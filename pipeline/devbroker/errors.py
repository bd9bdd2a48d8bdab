"""The launcher's one error type."""


class BrokerError(Exception):
    """A launcher failure; the message is written for the user and shown as is."""
