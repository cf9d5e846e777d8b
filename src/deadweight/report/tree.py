"""The static module tree as a rich tree on a terminal (plain text when piped) or as JSON."""

from __future__ import annotations

import json
from typing import TextIO

from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from deadweight.model.tree import TreeNode, dotted_names


def render_json(nodes: list[TreeNode], settings: dict[str, str] | None = None) -> str:
    """`configuration`: null for the tree of every configuration, else the settings evaluated
    (`{}`: the defaults)."""
    return json.dumps(
        [
            {
                **n.to_dict(),
                "configuration": settings,
                "parameters": dotted_names(n),
                "state_dict": dotted_names(n, buffers=True),
            }
            for n in nodes
        ],
        indent=2,
    )


def render_text(
    nodes: list[TreeNode], stream: TextIO, *, color: bool | None = None, settings: dict[str, str] | None = None
) -> None:
    # piped, a tree is not cut at 80 columns: each line stays whole for grep and diff
    width = None if stream.isatty() else 10_000
    console = Console(file=stream, force_terminal=color, no_color=color is False, highlight=False, width=width)
    for node in nodes:
        tree = Tree(f"[bold]{escape(node.name)}[/bold]  [dim]{escape(node.path)}:{node.line}[/dim]")
        for child in node.children:
            _add(tree, child)
        if settings is not None:
            given = ", ".join(f"{k}={v}" for k, v in settings.items())
            console.print(f"configuration: the constructor's defaults{', with ' + escape(given) if given else ''}")
        console.print(tree)
        names = dotted_names(node)
        line = f"{len(names)} parameter name{'s' if len(names) != 1 else ''} (`*`: an index that is not a constant)"
        if settings is not None:
            open_ = undecided(node)
            line += (
                f"; {open_} of them depend on values the code does not give (marked `only when`, or `A | B`)"
                if open_
                else "; every condition decided"
            )
        console.print(line)


def undecided(node: TreeNode) -> int:
    """Parameter names under `node` that a condition or an alternative still leaves open."""
    count = 0

    def walk(n: TreeNode, open_: bool) -> None:
        nonlocal count
        for c in n.children:
            o = open_ or c.condition is not None or " | " in c.ctor
            if c.kind == "parameter" and o:
                count += 1
            walk(c, o)

    walk(node, False)
    return count


def _add(parent: Tree, node: TreeNode) -> None:
    parts = [f"[bold]{escape(node.name)}[/bold]"]
    if node.kind in ("parameter", "buffer"):
        parts.append(f"[cyan]{node.kind}{'' if node.persistent else ', not persistent'}[/cyan]")
    elif node.ctor:
        parts.append(f"({escape(node.ctor)})")
    if node.count is not None and node.children and node.children[0].name == "*":
        parts.append(f"[green]items [0..{escape(node.count)})[/green]")
    if node.condition:
        parts.append(f"[yellow]only when `{escape(node.condition)}`[/yellow]")
    if node.tied_to:
        parts.append(f"[yellow]tied to `{escape(node.tied_to)}`[/yellow]")
    if node.dead:
        parts.append(f"[red]{escape(node.dead)}[/red]")
    if node.note:
        parts.append(f"[dim]{escape(node.note)}[/dim]")
    branch = parent.add("  ".join(parts))
    for child in node.children:
        _add(branch, child)
