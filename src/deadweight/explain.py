"""`deadweight explain CODE`: a rule's documentation, rendered from the rule class itself."""

from __future__ import annotations

import textwrap

from deadweight.rule import Rule


def render(rule: type[Rule]) -> str:
    """Markdown: what it does, why it matters, how to fix (checkpoints included), examples."""
    state = "preview (enable with --extend-select)" if rule.preview else "enabled by default"
    parts = [
        f"# {rule.code} {rule.name}",
        "",
        f"{rule.summary}. Severity: {rule.severity}; {state}.",
        "",
        "## Why this matters",
        "",
        textwrap.fill(rule.rationale, 88),
        "",
        "## How to fix",
        "",
        textwrap.fill(rule.fix, 88),
    ]
    for title, examples in (("Bad", rule.bad), ("Good", rule.good)):
        for i, example in enumerate(examples, 1):
            suffix = f" ({i})" if len(examples) > 1 else ""
            parts += ["", f"## {title} example{suffix}", "", "```python", example.strip("\n"), "```"]
    return "\n".join(parts) + "\n"
