"""``python -m synap_sync`` is the ``synap-sync`` command."""

import sys

from .cli import main

sys.exit(main())
