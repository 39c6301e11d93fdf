"""Everything under tests/integration talks over real loopback sockets: marked ``integration``."""

from typing import List

import pytest


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    for item in items:
        if "/integration/" in str(item.path if hasattr(item, "path") else item.fspath):
            item.add_marker(pytest.mark.integration)
