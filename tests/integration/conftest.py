"""Everything under tests/integration talks over real loopback sockets: marked ``integration``."""

from typing import List

import pytest


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    for item in items:
        if "/integration/" in str(item.path if hasattr(item, "path") else item.fspath):
            item.add_marker(pytest.mark.integration)


def default_signals() -> None:
    """``preexec_fn`` for a child a test will signal: Ctrl-C reaches it as it would from a terminal. A shell
    running the suite in the background (``cmd &``) ignores SIGINT, and children inherit that."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
