"""The analyzed project's Python environment, found and read as files, never run.

Base classes often come from installed packages (a framework's `BaseModule`, torch's own
layers). Like mypy's `--python-executable`, deadweight takes the environment to read from
`--python` / config `python` (an interpreter or an environment folder), else `VIRTUAL_ENV`,
else a `.venv` or `venv` folder in the project (that default is resolved with the settings,
in `config.py`). Its search path is derived by reading files
only: `lib/python3.*/site-packages` (and `Lib/site-packages`), plus the path lines of `.pth`
files there. The interpreter is never started and `.pth` `import` lines are never executed.
Anything unreadable becomes a one-line warning; the run goes on without it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(slots=True)
class Environment:
    prefix: Path | None
    search_path: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    origin: str = ""  # how it was found: "--python", "VIRTUAL_ENV", ".venv"

    def find_module(self, dotted: str) -> Path | None:
        """The file that defines module `dotted` (`pkg/mod.py` or `pkg/mod/__init__.py`)."""
        rel = Path(*dotted.split("."))
        for base in self.search_path:
            for candidate in (base / rel.with_suffix(".py"), base / rel / "__init__.py"):
                if candidate.is_file():
                    return candidate
        return None


def read_environment(path: Path, origin: str) -> Environment:
    """Search path of the environment at `path` (an interpreter inside it, or its folder)."""
    prefix = path
    if path.is_file() or path.name.startswith("python"):
        prefix = path.parent.parent if path.parent.name in ("bin", "Scripts") else path.parent
    out = Environment(prefix, origin=origin)
    if not prefix.is_dir():
        out.warnings.append(f"environment {path} ({origin}) does not exist; bases from installed packages are not read")
        return out
    sites = sorted(prefix.glob("lib/python3*/site-packages")) + sorted(prefix.glob("lib64/python3*/site-packages"))
    sites += [p for p in (prefix / "Lib" / "site-packages",) if p.is_dir()]
    if not sites:
        out.warnings.append(
            f"environment {prefix} ({origin}) has no site-packages; bases from installed packages are not read"
        )
        return out
    for site in sites:
        _add(out, site)
        for pth in sorted(site.glob("*.pth")):
            try:
                lines = pth.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError as exc:
                out.warnings.append(f"cannot read {pth}: {exc.strerror}")
                continue
            for line in lines:
                line = line.strip()
                if not line or line.startswith(("#", "import ", "import\t")):
                    continue  # an import line is code: never executed
                _add(out, (site / line) if not Path(line).is_absolute() else Path(line))
    return out


def _add(env: Environment, path: Path) -> None:
    resolved = path.resolve()
    if resolved.is_dir() and resolved not in env.search_path:
        env.search_path.append(resolved)


def fingerprint(python: str | None) -> str:
    """What the run cache keys on for the environment: its installed distributions (names and
    versions, from `*.dist-info` / `*.egg-info` folder names) and `.pth` files. An install,
    upgrade or removal changes it; reading it costs one directory listing per site-packages."""
    if not python or python == "none":
        return ""
    env = read_environment(Path(python), "python")
    names = [str(env.prefix)]
    for site in env.search_path:
        try:
            names.extend(sorted(p.name for p in site.iterdir() if p.suffix in (".dist-info", ".egg-info", ".pth")))
        except OSError:
            names.append(f"{site}: unreadable")
    return "\n".join(names)
