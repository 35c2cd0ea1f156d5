"""README's Configuration table names every environment variable the settings and gunicorn read,
and nothing they do not: an operator setting up a machine from it misses none."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# env("NAME", …), env.int("NAME", …), os.environ.get("NAME", …), os.environ["NAME"].
READ = re.compile(
    r"""(?:\benv(?:\.\w+)?\(|os\.environ(?:\.get\(|\[))\s*["']([A-Z][A-Z0-9_]+)["']"""
)
READERS = [*sorted((ROOT / "smplat" / "settings").glob("*.py")), ROOT / "gunicorn.conf.py"]


def read_variables() -> dict[str, str]:
    found = {}
    for path in READERS:
        for name in READ.findall(path.read_text()):
            found.setdefault(name, path.relative_to(ROOT).as_posix())
    return found


def documented_variables() -> set[str]:
    """Every `NAME` in the first column of the table under "## Configuration"."""
    section = ROOT.joinpath("README.md").read_text().split("\n## Configuration\n", 1)[1]
    section = section.split("\n## ", 1)[0]
    names = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1]))
    return names


def test_every_variable_read_at_start_up_is_in_the_readme_table():
    documented = documented_variables()
    missing = {name: where for name, where in read_variables().items() if name not in documented}
    assert not missing, f"read but not in README's Configuration table: {missing}"


def test_the_readme_table_lists_only_variables_something_reads():
    sources = "\n".join(
        path.read_text()
        for path in ROOT.glob("**/*.py")
        if ".venv" not in path.parts and "tests" not in path.parts
    )
    stale = {name for name in documented_variables() if f'"{name}"' not in sources}
    assert not stale, f"in README's Configuration table but read nowhere: {stale}"
