"""Kafka clients around the service: ``kafka`` (connection settings, topics, access
checks), ``replay`` (a corpus onto ``articles.raw``; ``corpus`` reads and plans the
files), ``tail`` (print a topic) and ``results`` (collect what came out of a run)."""
