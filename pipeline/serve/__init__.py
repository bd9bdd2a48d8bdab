"""``newsline serve``: the output topics in a SQLite store, a page and a JSON API.

- ``store``: the tables, and how a batch of records is written (idempotent upserts,
  with the offsets after them in the same transaction).
- ``feed``: fills the store from the topics (or from ``newsline extract`` files).
- ``queries`` and ``models``: what the API and the page read, and its shapes.
- ``charts``: the figures of one measure laid out on one axis.
- ``app``: the FastAPI application: routes, templates, the token.
- ``main``: the feed and the web server in one process.
"""
