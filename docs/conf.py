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
# A name in single backquotes (`SynapClient`) is a link to its reference entry.
default_role = "py:obj"
rst_prolog = ".. currentmodule:: synap_sync\n"

# Every group of examples talks to an emulator of its own, started here and stopped after it: the
# environment points SynapClient() at it, as SYNAP_API_KEY and SYNAP_BASE_URL would in production.
doctest_global_setup = """
import os as _os
import tempfile as _tempfile
from synap_sync.emulator import Emulator as _Emulator

_os.environ["SYNAP_PACE_URL"] = "file://" + _tempfile.mkdtemp(prefix="synap-docs-pace-")  # no pace left from a run before

_docs_emulator = _Emulator(completion_seconds=0.1).start()
_os.environ["SYNAP_BASE_URL"] = _docs_emulator.base_url
_os.environ["SYNAP_API_KEY"] = "synap_docs_example_key"
"""
doctest_global_cleanup = """
_docs_emulator.stop()
"""


def _link_to_the_public_name(app, env, node, contnode):
    """A name in a docstring (`CreateMemoryRequest` in ``synap_sync.memories``) links to its public
    entry (``synap_sync.CreateMemoryRequest``) when its own module's path finds none."""
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].split(".")[-1] if node["reftarget"].startswith("synap_sync.") else node["reftarget"]
    domain = env.get_domain("py")
    for candidate in (f"synap_sync.{target}", f"synap_sync.emulator.{target}", f"synap_sync.bulk.{target}"):
        if candidate in domain.objects:
            return domain.resolve_xref(env, node["refdoc"], app.builder, "obj", candidate, node, contnode)
    return None


def setup(app):
    app.connect("missing-reference", _link_to_the_public_name)
