"""Command line: parse options, run `api.check`, hand the result to a reporter, pick the exit code.

Exit codes: 0 no findings, 1 findings or a file that could not be analyzed, 2 usage, configuration or internal error, 130
interrupted (Ctrl-C). A reader that closes the pipe early (`| head`) leaves the run's own exit
code. User errors (bad config, unknown rule code, missing path) print one line naming the
problem; never a traceback.
"""

from __future__ import annotations

import gc
import io
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from deadweight import __version__
from deadweight.config import (
    ConfigError,
    find_project_root,
    load_settings,
    settings_as_dict,
)
from deadweight.filter import baseline as bl
from deadweight.findings import confidence_rank
from deadweight.report import FORMATS, emit
from deadweight.rules.registry import PluginError, all_rules, unknown_codes

if TYPE_CHECKING:  # kept out of start-up: the subcommands import what they use
    from deadweight.model.project import ClassInfo
    from deadweight.rules.context import Context

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for a Ctrl-C


def _items(option: str, values: tuple[str, ...]) -> list[str] | None:
    """Repeated options accumulate and each may be a comma-separated list, as in ruff;
    an option given with nothing in it is a usage error, not "run no rules"."""
    if not values:
        return None
    items = [item for value in values for item in _split(value)]
    if not items:
        _fail(f"{option}: expected at least one value, got {', '.join(repr(v) for v in values)}")
    return items


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _codes(option: str, values: tuple[str, ...]) -> tuple[str, ...] | None:
    items = _items(option, values)
    return None if items is None else tuple(c.upper() for c in items)


def _per_file(option: str, values: tuple[str, ...]) -> dict[str, list[str]] | None:
    """`PATTERN:CODES` per value (`tests/*:DW101,DW102`), the codes comma-separated."""
    if not values:
        return None
    table: dict[str, list[str]] = {}
    for value in values:
        pattern, sep, codes = value.rpartition(":")
        listed = [c.upper() for c in _split(codes)]
        if not sep or not pattern.strip() or not listed:
            _fail(f"{option}: expected PATTERN:CODES such as 'tests/*:DW101,DW102', got {value!r}")
        table.setdefault(pattern.strip(), []).extend(listed)
    return table


def _fail(message: str) -> None:
    click.echo(f"deadweight: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


class _Group(click.Group):
    """An unexpected exception is deadweight's bug, not the user's: exit 2 (not 1, which
    means findings) with one line, and the traceback only when DEADWEIGHT_DEBUG is set."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            # click would print "Aborted!" and exit 1, which means "findings" here
            click.echo("deadweight: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:
            _silence_stdout()  # `deadweight explain --all | head`: the reader stopped reading
            sys.exit(EXIT_CLEAN)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except Exception as exc:
            if os.environ.get("DEADWEIGHT_DEBUG"):
                raise
            click.echo(
                f"deadweight: internal error: {type(exc).__name__}: {exc} (a bug in deadweight; set "
                "DEADWEIGHT_DEBUG=1 for the traceback and please report it)",
                err=True,
            )
            sys.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="deadweight")
def main() -> None:
    """Find weights that PyTorch models create but never use, without running the models."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option(
    "--select",
    multiple=True,
    metavar="CODES",
    help="Rule codes or prefixes to enable, replacing the configured set (comma-separated, repeatable).",
)
@click.option(
    "--extend-select",
    multiple=True,
    metavar="CODES",
    help="Rule codes or prefixes to enable in addition (e.g. preview rules).",
)
@click.option("--ignore", multiple=True, metavar="CODES", help="Rule codes or prefixes to disable.")
@click.option(
    "--exclude",
    multiple=True,
    metavar="PATTERNS",
    help="Paths to skip, gitignore-style, replacing the configured and default list.",
)
@click.option("--extend-exclude", multiple=True, metavar="PATTERNS", help="Paths to skip in addition.")
@click.option(
    "--per-file-ignores",
    multiple=True,
    metavar="PATTERN:CODES",
    help="Ignore codes in matching files, replacing the configured table (e.g. 'tests/*:DW1').",
)
@click.option(
    "--extend-per-file-ignores",
    multiple=True,
    metavar="PATTERN:CODES",
    help="Per-file ignores in addition to the configured ones.",
)
@click.option("--output-format", "output_format", type=click.Choice(sorted(FORMATS)), default="text", show_default=True)
@click.option(
    "-o", "--output", "output", type=click.Path(dir_okay=False, path_type=str), help="Write the report to FILE."
)
@click.option(
    "--min-confidence",
    type=click.Choice(["low", "medium", "high"]),
    help="Hide findings below this confidence [default: medium].",
)
@click.option(
    "--fail-on",
    type=click.Choice(["low", "medium", "high"]),
    help="Fail (exit 1) only on shown findings of at least this confidence [default: every shown finding].",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the cache.")
@click.option("--jobs", "-j", type=click.IntRange(min=0), help="Worker processes (0 = one per core, 1 = in-process).")
@click.option(
    "--python",
    "python",
    metavar="PATH",
    help="The analyzed project's interpreter or environment folder, read (never run) to resolve bases from installed packages; 'none' to read none.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=str),
    help="Read settings from FILE instead of the nearest pyproject.toml.",
)
@click.option("--isolated", is_flag=True, help="Ignore all configuration files.")
@click.option(
    "--allow-plugins",
    is_flag=True,
    default=None,
    help="Load the rule plugins the configuration names (they run code; off unless you trust the repository).",
)
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False, path_type=str),
    help="Hide the findings recorded in this baseline file.",
)
@click.option(
    "--write-baseline",
    type=click.Path(dir_okay=False, path_type=str),
    help="Record the current findings as a baseline and exit 0.",
)
@click.option("--diff-base", help="Report only findings in files changed since this git revision.")
@click.option("--show-settings", is_flag=True, help="Print the resolved settings as JSON and exit.")
@click.option(
    "--statistics",
    is_flag=True,
    help="Print how many findings each rule reported instead of the findings (json with --output-format json).",
)
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="Only the findings and the files that could not be analyzed: no progress bar, tables, summary or warnings.",
)
@click.option("--silent", is_flag=True, help="Print nothing (the exit code still tells); errors of use still print.")
@click.option("--fix", "fix", is_flag=True, help="Apply the safe fixes, then report what is left.")
@click.option("--unsafe-fixes", is_flag=True, help="Also apply unsafe fixes (see each rule's 'Fix safety').")
@click.option("--fix-only", is_flag=True, help="Apply the fixes and report nothing; exit 0.")
@click.option(
    "--diff", "diff", is_flag=True, help="Print the fixes as a unified diff instead of writing them; exit 1 if any."
)
@click.option(
    "--add-suppressions",
    is_flag=True,
    help="Add `# deadweight: ignore[CODE]` to the line of every reported finding (adopt the tool in one commit).",
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="List on stderr what was analyzed (parsed or from the cache) and what was skipped, and why.",
)
@click.option(
    "--color/--no-color", default=None, help="Force or disable colour (default: when the output is a terminal)."
)
def check(
    paths: tuple[str, ...],
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    exclude: tuple[str, ...],
    extend_exclude: tuple[str, ...],
    per_file_ignores: tuple[str, ...],
    extend_per_file_ignores: tuple[str, ...],
    output_format: str,
    output: str | None,
    min_confidence: str | None,
    fail_on: str | None,
    exit_zero: bool,
    no_cache: bool,
    jobs: int | None,
    python: str | None,
    config_file: str | None,
    isolated: bool,
    allow_plugins: bool | None,
    baseline: str | None,
    write_baseline: str | None,
    diff_base: str | None,
    show_settings: bool,
    statistics: bool,
    quiet: bool,
    silent: bool,
    fix: bool,
    unsafe_fixes: bool,
    fix_only: bool,
    diff: bool,
    add_suppressions: bool,
    verbose: bool,
    color: bool | None,
) -> None:
    """Analyze PATHS (default: the current directory) for dead weights.

    Directories are analyzed in full. When only files are given (as pre-commit does), the whole
    project around them is analyzed, so cross-file facts are complete, and only findings in
    those files are reported.
    """
    from deadweight import api
    from deadweight.activity import Activity
    from deadweight.report.activity import describe_activity
    from deadweight.report.progress import progress_bar, wanted

    targets = list(paths) or ["."]
    for p in targets:
        if not os.path.lexists(p):
            _fail(f"{p}: no such file or directory")
    overrides = {
        "python": python,
        "select": _codes("--select", select),
        "extend-select": _codes("--extend-select", extend_select),
        "ignore": _codes("--ignore", ignore),
        "exclude": _items("--exclude", exclude),
        "extend-exclude": _items("--extend-exclude", extend_exclude),
        "per-file-ignores": _per_file("--per-file-ignores", per_file_ignores),
        "extend-per-file-ignores": _per_file("--extend-per-file-ignores", extend_per_file_ignores),
        "min-confidence": min_confidence,
        "fail-on": fail_on,
        "jobs": jobs,
        "use-cache": False if no_cache else None,
        "baseline": baseline,
        "allow-plugins": allow_plugins or None,
    }
    try:
        settings = load_settings(targets, config_file=config_file, isolated=isolated, overrides=overrides)
        rules = all_rules(settings.loaded_plugins)
    except (ConfigError, PluginError) as exc:
        _fail(str(exc))
        return
    for key, values in (
        ("select", settings.select or ()),
        ("extend-select", settings.extend_select),
        ("ignore", settings.ignore),
    ):
        bad = unknown_codes(rules, tuple(values))
        if bad:
            hint = (
                f"; the configured plugins were not loaded, pass --allow-plugins to load {_names(settings.plugins)}"
                if settings.blocked_plugins
                else ""
            )
            _fail(
                f"{key}: unknown rule code or prefix {', '.join(repr(b) for b in bad)} (see `deadweight rules`){hint}"
            )
    if show_settings:
        click.echo(json.dumps(settings_as_dict(settings), indent=2))
        return
    talk = not (quiet or silent)  # warnings and notes on stderr, as ruff's -q / --silent
    if settings.blocked_plugins and talk:
        click.echo(
            f"deadweight: warning: not loading the plugins {settings.config_file or 'the configuration'} names "
            f"({_names(settings.plugins)}): a plugin runs code, and a repository's own configuration "
            "cannot make deadweight run it; pass --allow-plugins (or set DEADWEIGHT_ALLOW_PLUGINS=1) if you trust it",
            err=True,
        )

    fix_mode = _fix_mode(fix=fix, fix_only=fix_only, diff=diff, add_suppressions=add_suppressions)
    if unsafe_fixes and fix_mode in (None, "add-suppressions"):
        _fail("--unsafe-fixes needs --fix, --fix-only or --diff")
    if fix_mode is not None and write_baseline is not None:
        _fail(f"--{fix_mode} cannot be combined with --write-baseline")
    root = Path(settings.project_root or find_project_root(targets))
    only_files = _explicit_files(targets, str(root))
    if write_baseline is not None and (only_files is not None or diff_base is not None):
        # A baseline written from part of the project would drop every other file's entries.
        _fail("--write-baseline records the whole project; do not combine it with file arguments or --diff-base")
    if only_files is not None:
        # pre-commit mode: analyze the whole project so cross-file facts are complete, and
        # report only the files given. The verdict for a file is the one a full run gives.
        targets = [str(root)]
    if diff_base is not None:
        from deadweight.gitdiff import GitError, changed_files

        try:
            changed = changed_files(diff_base, root)
        except GitError as exc:
            _fail(str(exc))
            return
        # Directories given: report changed files under them; files given: those that changed.
        only_files = (only_files & changed) if only_files is not None else _under(changed, targets, root)

    if settings.baseline and write_baseline is None:
        try:
            bl.load(Path(settings.baseline))  # fail before the scan, not after it
        except bl.BaselineError as exc:
            _fail(str(exc))
            return

    activity = Activity() if verbose and talk else None
    try:
        run_settings = api.without_baseline(settings) if write_baseline is not None else settings
        with progress_bar(wanted(talk=talk)) as progress:
            if fix_mode is None:
                result = api.check(targets, run_settings, only_files=only_files, progress=progress, activity=activity)
            else:
                from deadweight import cli_fix

                outcome = cli_fix.run(
                    fix_mode,
                    targets,
                    settings,
                    unsafe=unsafe_fixes,
                    only_files=only_files,
                    progress=progress,
                    talk=talk,
                )
                result = outcome.result
        if fix_mode == "diff":
            _write_diff(outcome.diff, output)
            sys.exit(EXIT_FINDINGS if outcome.diff else EXIT_CLEAN)
        if fix_mode in ("fix-only", "add-suppressions"):
            sys.exit(EXIT_CLEAN)
        if activity is not None:
            for line in describe_activity(activity, result):
                click.echo(f"deadweight: {line}", err=True)
        if write_baseline is not None:
            written = bl.write(Path(write_baseline), result)
            click.echo(
                f"deadweight: wrote {written} finding{'s' if written != 1 else ''} to {write_baseline}", err=True
            )
            sys.exit(EXIT_CLEAN)
        for warning in result.warnings if talk else ():
            click.echo(f"deadweight: warning: {warning}", err=True)
        if settings.baseline and result.stale_baseline and talk:
            _note_stale(result.stale_baseline, settings.baseline)
    except bl.BaselineError as exc:
        _fail(str(exc))
        return
    except FileNotFoundError as exc:
        _fail(str(exc))
        return
    except ConfigError as exc:
        _fail(str(exc))
        return

    active = api.active_rules(settings)
    try:
        with _open_output(output) as out:
            use_color = (
                color if color is not None else (output is None and out.isatty() and not os.environ.get("NO_COLOR"))
            )
            if silent and output is None:
                pass
            elif statistics:
                from deadweight.report.statistics import emit_statistics

                emit_statistics(result, active, out, as_json=output_format == "json")
            else:
                emit(output_format, result, active, out, color=bool(use_color), brief=quiet)
            out.flush()
    except BrokenPipeError:
        # `deadweight check | head`: the reader has what it wanted. The exit code stays the
        # run's own, and nothing more is written (not even at interpreter exit).
        _silence_stdout()
    # A file that cannot be analyzed fails the run, as in ruff: its weights were never judged,
    # so "no findings" would claim what was not checked. Only the reported files count (with
    # files as arguments or --diff-base, a broken file elsewhere is not this change's doing).
    unanalyzed = [e for e in result.errors if only_files is None or e.path in only_files]
    floor = confidence_rank(settings.fail_on or settings.min_confidence)
    failing = [f for f in result.findings if confidence_rank(f.confidence) >= floor]
    if exit_zero or not (failing or unanalyzed):
        sys.exit(EXIT_CLEAN)
    sys.exit(EXIT_FINDINGS)


def _fix_mode(*, fix: bool, fix_only: bool, diff: bool, add_suppressions: bool) -> str | None:
    """The one thing a run changes: `--diff` wins over `--fix` (a dry run), as in ruff."""
    if add_suppressions and (fix or fix_only or diff):
        _fail("--add-suppressions cannot be combined with --fix, --fix-only or --diff")
    if diff:
        return "diff"
    if fix_only:
        return "fix-only"
    if fix:
        return "fix"
    return "add-suppressions" if add_suppressions else None


def _write_diff(text: str, output: str | None) -> None:
    try:
        with _open_output(output) as out:
            out.write(text)
            out.flush()
    except BrokenPipeError:
        _silence_stdout()


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    with suppress(OSError, ValueError):
        os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _names(paths: tuple[str, ...]) -> str:
    return ", ".join(os.path.relpath(p) if os.path.isabs(p) else p for p in paths)


def _under(changed: set[str], targets: list[str], root: Path) -> set[str]:
    """The changed root-relative paths that lie under one of the analyzed targets."""
    prefixes = []
    for t in targets:
        try:
            rel = Path(t).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            continue
        prefixes.append("" if rel == "." else rel)
    return {p for p in changed if any(not pre or p == pre or p.startswith(pre + "/") for pre in prefixes)}


def _note_stale(stale: list[str], path: str, limit: int = 10) -> None:
    """Tell the user the baseline holds entries nothing matches, so it does not rot unseen."""
    n = len(stale)
    click.echo(
        f"deadweight: {n} baseline entr{'ies' if n != 1 else 'y'} in {path} no longer {'match' if n != 1 else 'matches'} any finding "
        f"(fixed, renamed or now suppressed); rewrite it with --write-baseline {path} to drop {'them' if n != 1 else 'it'}:",
        err=True,
    )
    for entry in stale[:limit]:
        click.echo(f"  {entry}", err=True)
    if n > limit:
        click.echo(f"  ... and {n - limit} more", err=True)


def _explicit_files(targets: list[str], root: str | None) -> set[str] | None:
    """Root-relative paths when every target is a file (pre-commit mode), else None."""
    if not targets or not all(os.path.isfile(t) for t in targets):
        return None
    base = Path(root or find_project_root(targets)).resolve()
    out = set()
    for t in targets:
        try:
            out.add(Path(t).resolve().relative_to(base).as_posix())
        except ValueError:
            out.add(Path(t).as_posix())
    return out


@contextmanager
def _open_output(path: str | None) -> Iterator[TextIO]:
    if path is None:
        stream = sys.stdout
        if isinstance(stream, io.TextIOWrapper) and (stream.encoding or "").lower().replace("-", "") not in ("utf8",):
            stream.reconfigure(errors="replace")
        yield stream
        return
    try:
        with open(path, "w", encoding="utf-8") as f:
            yield f
    except OSError as exc:
        _fail(f"cannot write {path}: {exc.strerror}")


def _target_classes(
    target: str, python: str | None, isolated: bool, *, modules: bool
) -> tuple[Context, list[ClassInfo]] | None:
    """`PATH::CLASS` resolved as `check` sees the project (plus the named path even where config
    excludes it): the linked context and the classes of that name (module classes only when
    `modules`); None after reporting a usage error."""
    from deadweight import api
    from deadweight.model.inspect import find_classes

    path, sep, name = target.rpartition("::")
    if not sep or not name:
        _fail(f"{target}: expected PATH::CLASS, for example model.py::Block")
        return None
    file = Path(path)
    if not file.exists():
        _fail(f"{path}: no such file or directory")
        return None
    try:
        settings = load_settings([path], isolated=isolated, overrides={"python": python})
    except ConfigError as exc:
        _fail(str(exc))
        return None
    root = Path(settings.project_root or ".")
    ctx, _ = api.link([str(root), path], settings)
    rel = file.resolve().relative_to(root.resolve()).as_posix() if file.is_file() else None
    classes = [c for c in find_classes(ctx.project, rel, name) if c.is_module or not modules]
    if not classes:
        _fail(f"no {'module ' if modules else ''}class `{name}` in {path}")
        return None
    return ctx, classes


@main.command("inspect")
@click.argument("target", metavar="PATH::CLASS")
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--python", "python", metavar="PATH", help="The analyzed project's environment (as for `check`).")
@click.option("--isolated", is_flag=True, help="Ignore configuration files.")
def inspect_command(target: str, output_format: str, python: str | None, isolated: bool) -> None:
    """Why a class is (not) judged as a module: MRO, entry points, reachable methods, and
    each weight with its verdict. PATH is the file (or the project, to search every file)."""
    from deadweight.model.inspect import inspect_class

    found = _target_classes(target, python, isolated, modules=False)
    if found is None:
        return
    ctx, classes = found
    reports = [inspect_class(ctx.project, ctx.reach, c) for c in classes]
    if output_format == "json":
        click.echo(json.dumps([r.to_dict() for r in reports], indent=2))
        return
    for r in reports:
        click.echo(f"{r.path}:{r.line} class {r.name}")
        click.echo(f"  module: {'yes' if r.is_module else 'no'}, {r.why}")
        click.echo(f"  MRO: {' -> '.join(r.mro_names)}")
        click.echo(f"  entry points: {', '.join(r.entry_points) or 'none'}")
        click.echo(f"  reachable: {', '.join(r.reachable) or 'none'}")
        for w in r.weights:
            used = f" (used in {', '.join(w.used_in)})" if w.used_in else ""
            click.echo(f"  {w.kind} `{w.name}` from {w.defined_in}, line {w.line}: {w.verdict}{used}")


@main.command("tree")
@click.argument("target", metavar="PATH::CLASS")
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--python", "python", metavar="PATH", help="The analyzed project's environment (as for `check`).")
@click.option("--isolated", is_flag=True, help="Ignore configuration files.")
@click.option(
    "--configured",
    is_flag=True,
    help="The tree of one configuration: the constructor's defaults, and the --set values.",
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="NAME=VALUE",
    help="A constructor argument, or a config field as config.NAME=VALUE (repeatable; implies --configured).",
)
def tree_command(
    target: str, output_format: str, python: str | None, isolated: bool, configured: bool, sets: tuple[str, ...]
) -> None:
    """The module tree a class's construction builds, read from the code (nothing is run):
    submodules with their classes, parameters and buffers at the leaves, containers with a
    symbolic index `*`, conditions, and dead weights with their rule code. With --configured
    or --set, what one configuration builds: the conditions and branches its values decide
    are decided; those that depend on anything else stay marked."""
    from deadweight.model.tree import build_tree
    from deadweight.report.tree import render_json, render_text

    settings = _parse_sets(sets)
    if settings is None:
        return
    found = _target_classes(target, python, isolated, modules=True)
    if found is None:
        return
    ctx, classes = found
    chosen = settings if configured or sets else None
    nodes = [build_tree(ctx.project, ctx.reach, c, chosen) for c in classes]
    if output_format == "json":
        click.echo(render_json(nodes, chosen))
        return
    render_text(nodes, sys.stdout, settings=chosen)


def _parse_sets(sets: tuple[str, ...]) -> dict[str, str] | None:
    """`--set NAME=VALUE` items as a dict; None (after the usage error) for a malformed one."""
    out: dict[str, str] = {}
    for item in sets:
        name, eq, value = item.partition("=")
        if not eq or not name.strip():
            _fail(f"--set {item!r}: expected NAME=VALUE, for example use_flash_attn=True")
            return None
        out[name.strip()] = value.strip()
    return out


@main.command("ddp")
@click.argument("target", metavar="PATH::CLASS")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE", help="A constructor setting to judge (repeatable).")
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--python", "python", metavar="PATH", help="The analyzed project's environment (as for `check`).")
@click.option("--isolated", is_flag=True, help="Ignore configuration files.")
def ddp_command(target: str, sets: tuple[str, ...], output_format: str, python: str | None, isolated: bool) -> None:
    """For a root model: the parameters that get no gradient in some configuration, with the
    settings that cause it, and whether `find_unused_parameters=False` is safe for the
    defaults (or the `--set` values)."""
    import dataclasses

    from deadweight.ddp.verdict import judge, render
    from deadweight.model.tree import build_tree

    settings_given = _parse_sets(sets)
    if settings_given is None:
        return
    found = _target_classes(target, python, isolated, modules=True)
    if found is None:
        return
    ctx, classes = found
    tree = build_tree(ctx.project, ctx.reach, classes[0])
    verdict = judge(ctx.project, ctx.reach, tree, settings_given, classes[0])
    if output_format == "json":
        entries = [dataclasses.asdict(e) for e in verdict.entries]
        safe = not verdict.unused
        click.echo(
            json.dumps(
                {
                    "class": verdict.root,
                    "settings": verdict.settings,
                    "find_unused_parameters_false_safe": safe,
                    "parameters": entries,
                },
                indent=2,
            )
        )
        return
    click.echo("\n".join(render(verdict)))


@main.command("explain-ddp")
@click.argument("target", metavar="PATH::CLASS")
@click.argument("log", type=click.File("r", encoding="utf-8", errors="replace"), default="-")
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--python", "python", metavar="PATH", help="The analyzed project's environment (as for `check`).")
@click.option("--isolated", is_flag=True, help="Ignore configuration files.")
@click.option(
    "--configured",
    is_flag=True,
    help="Read the model as its constructor's defaults build it (and the --set values): indices can then be named.",
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="NAME=VALUE",
    help="A constructor argument or config.FIELD of the run that failed (repeatable; implies --configured).",
)
def explain_ddp_command(
    target: str,
    log: TextIO,
    output_format: str,
    python: str | None,
    isolated: bool,
    configured: bool,
    sets: tuple[str, ...],
) -> None:
    """Map a pasted DDP or Lightning unused-parameter error (LOG, or stdin) to source: for each
    parameter it names (or indexes), the class, file and line that create it and deadweight's
    verdict. CLASS is the model DDP wrapped. An error that gives indices only is named when the
    configuration that ran is given (--set, or --configured for the defaults) and decides every
    count and condition of the tree."""
    from deadweight.ddp.locate import indexed_names, locate
    from deadweight.ddp.parse import parse_ddp_error
    from deadweight.ddp.report import explain, to_dict
    from deadweight.model.tree import build_tree

    settings = _parse_sets(sets)
    if settings is None:
        return
    error = parse_ddp_error(log.read())
    if error.empty:
        _fail("no 'did not receive grad' line in the log (paste the whole DDP or Lightning error)")
        return
    found = _target_classes(target, python, isolated, modules=True)
    if found is None:
        return
    ctx, classes = found
    chosen = settings if configured or sets else None
    tree = build_tree(ctx.project, ctx.reach, classes[0], chosen)
    names = list(error.names)
    note = ""
    if error.indices and not error.names:
        ordered = indexed_names(tree)
        if ordered is None:
            unread = "in the configuration given" if chosen is not None else "without the configuration that ran"
            note = (
                f"the error gives indices only, and {unread} a container's count, a condition or a choice of class "
                "is not decided, so they cannot be named; give the run's arguments with --set NAME=VALUE "
                "(or --configured for the defaults), or rerun with TORCH_DISTRIBUTED_DEBUG=DETAIL to get names"
            )
        else:
            names = [ordered[i] for i in error.indices if i < len(ordered)]
            beyond = [str(i) for i in error.indices if i >= len(ordered)]
            if beyond:
                note = (
                    f"index {', '.join(beyond)} is beyond the {len(ordered)} parameters of `{tree.name}`'s tree: "
                    "is this the class DDP wrapped, in the configuration that ran?"
                )
    located = [locate(tree, n) for n in names]
    if output_format == "json":
        click.echo(
            json.dumps(
                {"class": tree.name, "note": note or None, "parameters": [to_dict(x) for x in located]}, indent=2
            )
        )
        return
    ranks = ", ".join(error.ranks)
    if names or not error.indices:
        what = f"{len(names)} parameter{'s' if len(names) != 1 else ''}"
    else:
        what = f"{len(error.indices)} parameter {'index' if len(error.indices) == 1 else 'indices'}"
    click.echo(f"{tree.name}: {what} without a gradient (rank {ranks})")
    if note:
        click.echo(f"  {note}")
    for x in located:
        click.echo("\n".join(explain(x, tree.name)))


@main.command("rules")
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules_command(output_format: str) -> None:
    """List every rule with its code, name, default state and summary."""
    from rich.console import Console
    from rich.table import Table

    try:
        rules = all_rules()
    except PluginError as exc:
        _fail(str(exc))
        return
    if output_format == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "code": r.code,
                        "name": r.name,
                        "summary": r.summary,
                        "severity": r.severity,
                        "default": "preview" if r.preview else "enabled",
                    }
                    for r in rules
                ],
                indent=2,
            )
        )
        return
    table = Table(title="deadweight rules")
    for col in ("code", "name", "default", "summary"):
        table.add_column(col)
    for r in rules:
        table.add_row(r.code, r.name, "preview" if r.preview else "enabled", r.summary)
    Console().print(table)


@main.command()
@click.argument("code", required=False)
@click.option("--all", "all_rules_", is_flag=True, help="Every rule's page, one after the other (docs/rules.md).")
def explain(code: str | None, all_rules_: bool) -> None:
    """Show a rule's documentation and examples (CODE or name, e.g. DW101 or unused-weight)."""
    from deadweight.explain import render, render_all

    rules = all_rules()
    if all_rules_:
        click.echo(render_all(rules), nl=False)
        return
    if code is None:
        _fail("explain needs a rule code or name, or --all")
        return
    wanted = code.strip()
    match = next((r for r in rules if wanted.upper() == r.code or wanted.lower() == r.name), None)
    if match is None:
        _fail(f"unknown rule {code!r} (see `deadweight rules`)")
        return
    click.echo(render(match))


def run() -> None:
    """The console script and `python -m deadweight`: `main`, then a hard exit.

    A run leaves a large heap of linked facts with reference cycles (bases and subclasses,
    MROs) that only the interpreter's final collection frees: on transformers that teardown
    alone took 3.5–5.6 s, after the report was written. The process is about to end, so the
    exit skips it, as mypy does; the output streams are flushed first. `main` itself is what
    tests invoke (through CliRunner), where a hard exit would end the test process.

    For the same reason the cyclic GC stays off for the whole process: the pipeline pauses it
    around its bulk work anyway, and turning it back on afterwards let the next allocation
    start a full collection of that heap (1.1 s of a one-file edit on transformers, profiled)
    that frees nothing the exit would not."""
    gc.disable()
    try:
        main()
        code = EXIT_CLEAN
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or EXIT_CLEAN
        else:
            click.echo(str(exc.code), err=True)
            code = EXIT_FINDINGS
    except KeyboardInterrupt:  # outside a command (while click parses, say)
        click.echo("deadweight: interrupted", err=True)
        code = EXIT_INTERRUPTED
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):  # a closed pipe (BrokenPipeError is an OSError)
            stream.flush()
    os._exit(code)
