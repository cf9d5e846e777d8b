"""`check -v`: one line per file saying what the run did with it, then one line of totals.

Sorted by path, so the line for a file is found where a user looks for it, whatever the
order the workers finished in.
"""

from __future__ import annotations

from deadweight.activity import Activity
from deadweight.findings import Result
from deadweight.report._common import path_display, plural, printable


def describe_activity(activity: Activity, result: Result) -> list[str]:
    shown = path_display(result.root)
    rows: list[tuple[str, str]] = []  # (root-relative path, line)

    # A crashed parse is not "analyzed", nor is a source judged through its generated file.
    failed = {error.path for error in result.errors} | {source for source, _ in activity.generated_sources}
    parsed, cached, duplicates = (
        [p for p in paths if p not in failed] for paths in (activity.parsed, activity.cached, activity.duplicates)
    )

    def add(path: str, text: str) -> None:
        rows.append((path, printable(text)))

    for path in parsed:
        add(path, f"analyzed {shown(path)} (parsed)")
    for path in cached:
        add(path, f"analyzed {shown(path)} (facts from the cache)")
    for path in duplicates:
        add(path, f"analyzed {shown(path)} (same bytes as another file: its facts)")
    for source, generated in activity.generated_sources:
        add(source, f"skipped {shown(source)}: judged through {shown(generated)}, which is generated from it")
    for path, why in activity.excluded:
        add(path, f"skipped {shown(path)}: {why}")
    for error in result.errors:
        add(error.path, f"not analyzed {shown(error.path)}: {error.reason}")
    lines = [text for _, text in sorted(rows)]
    lines.extend(f"read {path} (base classes from the environment)" for path in activity.environment)
    if activity.run_cache:
        lines.append(
            "the run cache held this exact run's result (no file, setting or rule changed): no file was read again"
        )
    totals = [
        f"{plural(len(parsed) + len(cached) + len(duplicates), 'file')} analyzed ({len(parsed)} parsed, "
        f"{len(cached)} from the cache, {plural(len(duplicates), 'duplicate')})",
        f"{plural(len(activity.generated_sources), 'generated source')} skipped",
        f"{plural(len(activity.excluded), 'path')} excluded",
        f"{plural(len(result.errors), 'file')} not analyzed",
    ]
    if not activity.run_cache:
        lines.append("; ".join(totals))
        if activity.reused:
            lines.append(
                f"judged the classes of {plural(activity.judged, 'file')} again; "
                f"{plural(activity.reused, 'file')} read nothing that changed: their findings were reused"
            )
        elif activity.judged_all_because:
            lines.append(f"judged the classes of every file: {activity.judged_all_because}")
    return lines
