"""Sphinx configuration: the guides, how-tos and an API reference from the docstrings. Every example
is a doctest run against a local emulator (``sphinx-build -b doctest``), so none can drift."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

from synap_sync import __version__  # noqa: E402

project = "synap-sync"
author = "synap-sync contributors"
copyright = "2026, synap-sync contributors"
version = release = __version__

extensions = ["sphinx.ext.autodoc", "sphinx.ext.doctest"]
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_theme_options = {"description": "A blocking Python client for Synap", "fixed_sidebar": True}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"members": True, "show-inheritance": False}

# Every group of examples talks to an emulator of its own, started here and stopped after it: the
# environment points SynapClient() at it, as SYNAP_API_KEY and SYNAP_BASE_URL would in production.
doctest_global_setup = """
import os as _os
from synap_sync.emulator import Emulator as _Emulator

_docs_emulator = _Emulator(completion_seconds=0.1).start()
_os.environ["SYNAP_BASE_URL"] = _docs_emulator.base_url
_os.environ["SYNAP_API_KEY"] = "synap_docs_example_key"
"""
doctest_global_cleanup = """
_docs_emulator.stop()
"""
