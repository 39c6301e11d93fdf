"""The documentation keeps up with the code: every public name has a reference entry, the reference shows
no private module and no constructor users never call, and every page is in the table of contents."""

from __future__ import annotations

import importlib
import pathlib
import re

import synap_sync

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"
#: The public modules and what each exports.
PUBLIC_MODULES = [
    "synap_sync",
    "synap_sync.django",
    "synap_sync.testing",
    "synap_sync.testcase",
    "synap_sync.emulator",
    "synap_sync.partitions",
    "synap_sync.dask",
    "synap_sync.cli",
]
#: Exported by a module for convenience, with the entry under the module that defines it.
SAME_AS = {"synap_sync.testcase.FakeClock": "synap_sync.testing.FakeClock",
           "synap_sync.testcase.EMULATOR_API_KEY": "synap_sync.testing.EMULATOR_API_KEY"}  # fmt: skip
ENTRY = re.compile(r"^\.\. auto(?:class|exception|function|data|module)::\s+([\w.]+)", re.MULTILINE)


def documented() -> set:
    reference = (DOCS / "reference.rst").read_text(encoding="utf-8")
    names = set(ENTRY.findall(reference))
    for module in re.findall(r"^\.\. automodule::\s+([\w.]+)\n\s+:members: (.+)$", reference, re.MULTILINE):
        names.update(f"{module[0]}.{member.strip()}" for member in module[1].split(","))
    return names


def test_every_public_name_has_a_reference_entry() -> None:
    entries = documented()
    missing = []
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            full = SAME_AS.get(f"{module_name}.{name}", f"{module_name}.{name}")
            if full not in entries:
                missing.append(full)
    assert missing == []
    assert len(synap_sync.__all__) > 80


def test_the_reference_shows_no_private_module_and_no_namespace_constructor() -> None:
    reference = (DOCS / "reference.rst").read_text(encoding="utf-8")
    shown = ENTRY.findall(reference)
    private = [name for name in shown if any(part.startswith("_") for part in name.split(".")[:-1])]
    assert private == [] and "Service" not in [name.split(".")[-1] for name in shown]
    for internal in ("memories.Memories", "context.Context", "account.Credits", "bulk.BulkIngestion"):
        assert f"synap_sync.{internal}()" in reference  # documented without the constructor's signature


def test_every_page_is_in_a_table_of_contents() -> None:
    index = (DOCS / "index.rst").read_text(encoding="utf-8")
    pages = [path.relative_to(DOCS).with_suffix("").as_posix() for path in DOCS.rglob("*.rst")]
    assert [page for page in pages if page != "index" and f"   {page}\n" not in index] == []
