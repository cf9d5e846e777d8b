"""The resolved settings of one run, as one frozen dataclass.

Loading (pyproject discovery, validation, CLI overrides) lives in `config.py`; everything past
the CLI reads only this object, so no stage re-parses configuration.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".git",
    ".hg",
    ".svn",
    ".tox",
    ".nox",
    ".venv",
    "venv",
    ".env",
    "env",
    "__pycache__",
    "build",
    "dist",
    "site-packages",
    "node_modules",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".deadweight_cache",
    "*.egg-info",
)

DEFAULT_MAX_FILE_SIZE = 4 * 1024 * 1024


@dataclass(frozen=True)
class Settings:
    # Rule selection: codes or prefixes ("DW1", "DW101"). None means the default set
    # (every rule that is not in preview).
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (glob, codes)
    # Discovery.
    exclude: tuple[str, ...] = DEFAULT_EXCLUDES
    extend_exclude: tuple[str, ...] = ()
    respect_gitignore: bool = True
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    # Framework knowledge added to the built-in tables.
    entry_points: tuple[str, ...] = ()
    init_methods: tuple[str, ...] = ()
    module_bases: tuple[str, ...] = ()
    # The analyzed project's environment (interpreter or environment folder), read as files to
    # resolve base classes from installed packages. None: no environment; "none" disables it.
    python: str | None = None
    # Reporting.
    min_confidence: str = "medium"
    # The lowest confidence that fails the run (exit 1); None: every shown finding fails it.
    # Lets CI show low findings without failing on them.
    fail_on: str | None = None
    baseline: str | None = None
    # Engine.
    cache_dir: str | None = None  # None: <project root>/.deadweight_cache
    use_cache: bool = True
    jobs: int = 0  # 0: one worker per available core; 1: in-process
    plugins: tuple[str, ...] = ()
    # Plugins run code: those a config file names load only when the user opts in on the
    # command line (--allow-plugins) or in their environment (DEADWEIGHT_ALLOW_PLUGINS=1), so a
    # scanned repository's pyproject.toml cannot make a plain `deadweight check` execute it.
    allow_plugins: bool = False
    # Where the settings came from (for --show-settings and relative paths).
    project_root: str | None = None
    config_file: str | None = None

    @property
    def loaded_plugins(self) -> tuple[str, ...]:
        """The plugin files this run imports: the configured ones, once the user allowed it."""
        return self.plugins if self.allow_plugins else ()

    @property
    def blocked_plugins(self) -> tuple[str, ...]:
        return () if self.allow_plugins else self.plugins
