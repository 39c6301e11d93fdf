"""How the package is built, checked: no module reaches into another's private names, and the ingest
options have one definition that every entry point accepts."""

import ast
import pathlib

import pytest

import synap_sync
from synap_sync import SynapClient

PACKAGE = pathlib.Path(synap_sync.__file__).parent


def private_imports(path: pathlib.Path):
    """``from X import _name`` where ``_name`` is not a module of the package."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = path.parent
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        base = package
        for _ in range(max(node.level - 1, 0)):
            base = base.parent
        for part in (node.module or "").split(".") if node.level and node.module else []:
            base = base / part
        for alias in node.names:
            name = alias.name
            if not name.startswith("_") or name.startswith("__"):
                continue
            if node.level and ((base / f"{name}.py").exists() or (base / name).is_dir()):
                continue  # a private module of this package, imported as a module
            yield f"{path.relative_to(PACKAGE.parent)}:{node.lineno} imports {name} from {node.module or '.'}"


def test_no_module_imports_another_modules_private_names():
    found = [line for path in sorted(PACKAGE.rglob("*.py")) for line in private_imports(path)]
    assert found == []


def test_the_private_import_check_sees_one(tmp_path):
    module = tmp_path / "pkg" / "mod.py"
    module.parent.mkdir()
    module.write_text("from .other import _hidden\nfrom . import _sub\n")
    (tmp_path / "pkg" / "_sub.py").write_text("")
    global PACKAGE
    saved, PACKAGE = PACKAGE, tmp_path
    try:
        assert [line.split(" ", 1)[1] for line in private_imports(module)] == ["imports _hidden from other"]
    finally:
        PACKAGE = saved


def test_an_unknown_ingest_option_is_named():
    client = SynapClient(api_key="test-key", base_url="http://127.0.0.1:9")
    with client, pytest.raises(TypeError, match="unexpected option 'workres'.*workers"):
        client.memories.ingest([], workres=2)


def test_the_package_imports_its_version_before_anything_that_needs_attrs() -> None:
    """The setuptools of Python 3.8's venv reads ``attr: synap_sync._version.__version__`` by importing the
    package, before attrs is installed: it finds the version only if it was imported first."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    relative = [node.module for node in tree.body if isinstance(node, ast.ImportFrom) and node.level == 1]
    assert relative[0] == "_version"
