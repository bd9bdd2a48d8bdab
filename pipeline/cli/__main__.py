"""``python -m pipeline.cli``: the ``newsline`` command."""

import sys

from pipeline.cli import main

sys.exit(main())
