"""Execute backfill.ipynb headless, as CI does: any error, or any warning in a cell's output, fails it;
so does a report cell without its SVG chart."""

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).parent


def main() -> int:
    notebook = nbformat.read(HERE / "backfill.ipynb", as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()
    problems, charts = [], 0
    for number, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            text = output.get("text", "") if output.get("output_type") == "stream" else ""
            if output.get("output_type") == "error":
                problems.append(f"cell {number}: {output.get('ename')}: {output.get('evalue')}")
            elif "warning" in text.lower():
                problems.append(f"cell {number}: a warning: {text.strip()[:200]}")
            if "<svg" in output.get("data", {}).get("text/html", ""):
                charts += 1
    if charts < 2:
        problems.append(f"expected the two report cells to draw their chart, found {charts}")
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"backfill.ipynb: {len(notebook.cells)} cells executed, {charts} charts, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
