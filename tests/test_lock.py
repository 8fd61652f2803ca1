"""The lock files agree with pyproject.toml: every install on any day gets the same packages."""

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
FROM_PYPROJECT = "squeeze (pyproject.toml)"


@dataclass
class Pin:
    version: Version
    hashes: int = 0
    via: set[str] = field(default_factory=set)


def read_lock(path: Path) -> dict[str, Pin]:
    """Each pinned package of a `uv pip compile --generate-hashes` file, with its hashes and `via`."""
    pins: dict[str, Pin] = {}
    current: Pin | None = None
    for line in path.read_text().splitlines():
        pinned = re.match(r"^([A-Za-z0-9._-]+)==([^ ;\\]+)(?: ; ([^\\]+))?", line)
        if pinned:  # a universal lock: keep the entries for the Python that runs this test
            applies = pinned[3] is None or Marker(pinned[3].strip()).evaluate()
            current = Pin(Version(pinned[2])) if applies else None
            if current:
                assert canonicalize_name(pinned[1]) not in pins, f"{pinned[1]} pinned twice in {path.name}"
                pins[canonicalize_name(pinned[1])] = current
        elif current and line.strip().startswith("--hash=sha256:"):
            current.hashes += 1
        elif current and re.match(r"^\s+#\s+(via )?\S", line) and line.strip() != "# via":
            current.via.add(re.sub(r"^\s+#\s+(via )?", "", line).strip())
    return pins


def declared(*extras: str) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in extras:
        wanted += project["optional-dependencies"][extra]
    return [Requirement(spec) for spec in wanted]


LOCKS = [("requirements.txt", ()), ("requirements-test.txt", ("test",))]


@pytest.mark.parametrize(("lock", "extras"), LOCKS)
def test_every_declared_package_is_pinned_within_its_range(lock: str, extras: tuple[str, ...]) -> None:
    pins = read_lock(ROOT / lock)
    for requirement in declared(*extras):
        pin = pins.get(canonicalize_name(requirement.name))
        assert pin, f"{requirement.name} is in pyproject.toml but not in {lock}: run `make lock`"
        assert requirement.specifier.contains(pin.version, prereleases=True), (
            f"{lock} pins {requirement.name}=={pin.version}, outside {requirement}: run `make lock`"
        )


@pytest.mark.parametrize(("lock", "extras"), LOCKS)
def test_the_lock_was_made_from_todays_pyproject(lock: str, extras: tuple[str, ...]) -> None:
    """A package dropped from pyproject.toml leaves the lock too (uv records who asked for each)."""
    asked = {name for name, pin in read_lock(ROOT / lock).items() if FROM_PYPROJECT in pin.via}
    assert asked == {canonicalize_name(r.name) for r in declared(*extras)}


@pytest.mark.parametrize("lock", [lock for lock, _ in LOCKS])
def test_every_pin_carries_hashes(lock: str) -> None:
    unhashed = [name for name, pin in read_lock(ROOT / lock).items() if pin.hashes == 0]
    assert not unhashed


def test_the_test_lock_installs_what_production_runs() -> None:
    production = read_lock(ROOT / "requirements.txt")
    tested = read_lock(ROOT / "requirements-test.txt")
    differing = {
        name: (pin.version, tested[name].version if name in tested else None)
        for name, pin in production.items()
        if name not in tested or tested[name].version != pin.version
    }
    assert not differing


def test_the_deploys_python_is_the_one_the_lock_was_resolved_for() -> None:
    """The buildpack reads `.python-version`; `make lock` resolves for the same minor version."""
    pinned = Version((ROOT / ".python-version").read_text().strip())
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert Requirement(f"python{requires}").specifier.contains(pinned)
    assert f"--python-version {pinned}" in (ROOT / "Makefile").read_text()
