"""The service: code that runs only inside ``newsline worker``.

``main`` checks access and starts faust; ``runtime`` builds the app, the pool and the
topics from the settings; ``pooled`` and ``decider`` are the two loops every agent
runs (a batch through the pool; one record at a time against tables), ``delivery``
orders their publishing and acknowledgements, ``consumer`` is faust's consumer made
at-least-once, and ``metrics`` what the worker exports.
"""
