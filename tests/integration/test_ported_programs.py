"""Three programs written for the official async SDK, ported mechanically (the import, ``await`` and
``async def`` dropped), run against the emulator and see what the originals see; where the official SDK
is installed, ``test_official_parity.py`` runs the originals too and compares line by line."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from synap_sync.emulator import Emulator

from .ported_programs import EXPECTED, PROGRAMS, Seen, main_of, port


@pytest.mark.parametrize("name", PROGRAMS)
def test_a_mechanical_port_runs_and_sees_what_the_original_sees(name: str, tmp_path: Path) -> None:
    seen = Seen(str(tmp_path))
    with Emulator(api_keys=["synap_port_key"], completion_seconds=0.2) as emulator, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the official names import with a warning
        main_of(port(PROGRAMS[name]))(emulator.base_url, seen)
    assert list(seen) == EXPECTED[name]
