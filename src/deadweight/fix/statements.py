"""Fixes that edit the assignment a finding points at: delete it (DW105, DW204) or wrap its
value in a registering container (DW201).

Each fix is refused unless the code around it makes it mechanical: a single statement on its
lines, `self.<attr> = ...` with one target, and for deletions a value whose evaluation has no
effect the fix would remove. A statement that was the last one of its block becomes `pass`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from deadweight.findings import Confidence, Finding
from deadweight.fix.edits import SAFE, UNSAFE, Edit, Fix
from deadweight.fix.source import Source


@dataclass(frozen=True)
class _Assignment:
    line: cst.SimpleStatementLine
    statement: cst.Assign | cst.AnnAssign
    block: cst.IndentedBlock | cst.Module
    attr: str


@dataclass(frozen=True)
class _Imports:
    """What the file's imports bind, read once per file for every fix in it."""

    bound: frozenset[str]  # every name an import binds, at any depth (modules, classes, functions)
    nn: str | None  # how the file spells `torch.nn`: `nn`, `torch.nn`, or None when it does not import it
    from_torch_nn: frozenset[str]  # local names imported from `torch.nn` (`from torch.nn import Dropout`)


def _read_imports(module: cst.Module) -> _Imports:
    bound: set[str] = set()
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Import | cst.ImportFrom) and not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                name: cst.BaseExpression = alias.asname.name if alias.asname is not None else alias.name
                while isinstance(name, cst.Attribute):  # `import torch.nn` binds `torch`
                    name = name.value
                if isinstance(name, cst.Name):
                    bound.add(name.value)
            continue
        stack.extend(node.children)
    # Top-level imports only, in file order: the first explicit spelling of `torch.nn` wins.
    nn: str | None = None
    spelled: str | None = None
    from_nn: set[str] = set()
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    written = module.code_for_node(alias.name)
                    if written == "torch.nn" and alias.asname is not None:
                        nn = nn or module.code_for_node(alias.asname.name)
                    if written in ("torch", "torch.nn") and alias.asname is None:
                        spelled = spelled or "torch.nn"
            elif (
                isinstance(small, cst.ImportFrom)
                and small.module is not None
                and not isinstance(small.names, cst.ImportStar)
            ):
                origin = module.code_for_node(small.module)
                for alias in small.names:
                    local = module.code_for_node(alias.asname.name if alias.asname is not None else alias.name)
                    if origin == "torch" and module.code_for_node(alias.name) == "nn":
                        nn = nn or local
                    if origin in ("torch.nn", "torch.nn.modules"):
                        from_nn.add(local)
    return _Imports(frozenset(bound), nn or spelled, frozenset(from_nn))


def fix_statements(source: Source, findings: list[Finding]) -> list[Fix]:
    """Every statement fix of one file; deletions that would empty a block leave `pass`."""
    assignments = _assignments(source)
    imports = _read_imports(source.module)
    deleted: dict[int, int] = {}  # id(block) -> statements deleted so far in this pass
    out: list[Fix] = []
    for finding in sorted(findings, key=Finding.sort_key):
        target = assignments.get((finding.line, finding.column - 1))
        if target is None or target.attr != finding.attribute:
            continue
        if finding.code == "DW201":
            fix = _wrap(source, target, finding, imports)
        else:
            fix = _delete(source, target, finding, imports, deleted)
        if fix is not None:
            out.append(fix)
    return out


def _assignments(source: Source) -> dict[tuple[int, int], _Assignment]:
    """`self.<attr> = value` statements alone on their lines, by where `<attr>` starts."""
    out: dict[tuple[int, int], _Assignment] = {}
    for block, line in _statement_lines(source.module):
        if len(line.body) != 1:
            continue
        statement = line.body[0]
        if isinstance(statement, cst.Assign):
            if len(statement.targets) != 1:
                continue
            target = statement.targets[0].target
        elif isinstance(statement, cst.AnnAssign) and statement.value is not None:
            target = statement.target
        else:
            continue
        if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and target.value.value == "self":
            start = source.positions[target.attr].start  # findings point at the attribute's name
            out[(start.line, start.column)] = _Assignment(line, statement, block, target.attr.value)
    return out


def _statement_lines(node: cst.CSTNode) -> Iterator[tuple[cst.IndentedBlock | cst.Module, cst.SimpleStatementLine]]:
    if isinstance(node, cst.Module | cst.IndentedBlock):
        for statement in node.body:
            if isinstance(statement, cst.SimpleStatementLine):
                yield node, statement
    for child in node.children:
        yield from _statement_lines(child)


# --------------------------------------------------------------------------- deletion


def _delete(
    source: Source, target: _Assignment, finding: Finding, imports: _Imports, deleted: dict[int, int]
) -> Fix | None:
    value = target.statement.value
    if not isinstance(value, cst.Call) or _rooted_at_self(value.func) or not _dotted(value.func):
        return None
    if finding.code == "DW105":
        # Safe only when nothing but this statement could notice: one of torch's own layers
        # built from plain arguments, a high confidence verdict, and no other mention of the
        # name in the file.
        if finding.confidence != Confidence.HIGH or not all(_pure(a.value) for a in value.args):
            return None
        if not _torch_layer(value.func, source.module, imports):
            return None  # a project class's constructor runs code nobody judged here
        if _mentions(source, target.attr, imports) != 1:
            return None
        applicability = SAFE
    elif finding.code == "DW204":
        if any(_calls_self(a.value) for a in value.args):
            return None
        applicability = UNSAFE
    else:
        return None
    position = source.positions[target.line]
    first, last = position.start.line, position.end.line
    siblings = len(target.block.body)
    done = deleted.get(id(target.block), 0)
    deleted[id(target.block)] = done + 1
    if isinstance(target.block, cst.IndentedBlock) and done + 1 >= siblings:
        indent = source.line(first)[: position.start.column]
        ending = source.lines[last - 1][len(source.line(last)) :]
        edit = Edit((first, 0), (last + 1, 0), f"{indent}pass{ending}")
    else:
        edit = Edit((first, 0), (last + 1, 0), "")
    return Fix(finding.code, applicability, (edit,), (finding,))


def _dotted(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Name):
        return True
    return isinstance(node, cst.Attribute) and _dotted(node.value)


def _rooted_at_self(node: cst.BaseExpression) -> bool:
    while isinstance(node, cst.Attribute):
        node = node.value
    return isinstance(node, cst.Name) and node.value == "self"


def _pure(node: cst.BaseExpression) -> bool:
    """An argument whose evaluation does nothing: names, attribute reads, literals, arithmetic."""
    if isinstance(node, cst.Name | cst.Integer | cst.Float | cst.Imaginary | cst.SimpleString | cst.ConcatenatedString):
        return True
    if isinstance(node, cst.Attribute):
        return _pure(node.value)
    if isinstance(node, cst.UnaryOperation):
        return _pure(node.expression)
    if isinstance(node, cst.BinaryOperation | cst.BooleanOperation):
        return _pure(node.left) and _pure(node.right)
    if isinstance(node, cst.Comparison):
        return _pure(node.left) and all(_pure(c.comparator) for c in node.comparisons)
    if isinstance(node, cst.IfExp):
        return _pure(node.test) and _pure(node.body) and _pure(node.orelse)
    if isinstance(node, cst.Tuple | cst.List):
        return all(isinstance(e, cst.Element) and _pure(e.value) for e in node.elements)
    if isinstance(node, cst.Subscript):
        return _pure(node.value) and all(isinstance(s.slice, cst.Index) and _pure(s.slice.value) for s in node.slice)
    return False


def _calls_self(node: cst.CSTNode) -> bool:
    if isinstance(node, cst.Call) and _rooted_at_self(node.func):
        return True
    return any(_calls_self(child) for child in node.children)


def _mentions(source: Source, name: str, imports: _Imports) -> int:
    """How often `name` is read as an attribute (of anything but an imported module, so
    `F.dropout` does not count) or written as a string (`getattr(self, "dropout")`)."""
    modules = imports.bound
    count = 0
    stack: list[cst.CSTNode] = [source.module]
    quoted = {f'"{name}"', f"'{name}'"}
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Attribute) and node.attr.value == name:
            if not (isinstance(node.value, cst.Name) and node.value.value in modules):
                count += 1
        elif isinstance(node, cst.SimpleString) and node.value in quoted:
            count += 1
        stack.extend(node.children)
    return count


# --------------------------------------------------------------------------- DW201


def _wrap(source: Source, target: _Assignment, finding: Finding, imports: _Imports) -> Fix | None:
    """`self.blocks = [Block() for _ in range(n)]` -> `nn.ModuleList([...])` (unsafe: new keys)."""
    value = target.statement.value
    assert value is not None
    nn = imports.nn
    if nn is None:
        return None
    parameters = _holds_parameters(value)
    if parameters is None:
        return None
    if isinstance(value, cst.List | cst.ListComp | cst.Tuple):
        container = "ParameterList" if parameters else "ModuleList"
    elif isinstance(value, cst.Dict | cst.DictComp):
        container = "ParameterDict" if parameters else "ModuleDict"
    else:
        return None
    position = source.positions[value]
    start, end = position.start, position.end
    inner = source.module.code_for_node(value)
    edit = Edit((start.line, start.column), (end.line, end.column), f"{nn}.{container}({inner})")
    return Fix("DW201", UNSAFE, (edit,), (finding,))


def _holds_parameters(value: cst.BaseExpression) -> bool | None:
    """True for a container of `nn.Parameter(...)`, False for other values, None when mixed."""
    items: list[cst.BaseExpression] = []
    if isinstance(value, cst.List | cst.Tuple):
        items = [e.value for e in value.elements if isinstance(e, cst.Element)]
    elif isinstance(value, cst.ListComp):
        items = [value.elt]
    elif isinstance(value, cst.Dict):
        items = [e.value for e in value.elements if isinstance(e, cst.DictElement)]
    elif isinstance(value, cst.DictComp):
        items = [value.value]
    kinds = {_is_parameter(item) for item in items}
    if len(kinds) > 1:
        return None
    return kinds.pop() if kinds else False


def _is_parameter(node: cst.BaseExpression) -> bool:
    if not isinstance(node, cst.Call):
        return False
    func = node.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    return name == "Parameter"


def _torch_layer(func: cst.BaseExpression, module: cst.Module, imports: _Imports) -> bool:
    """Whether the callee is a class of `torch.nn` (`nn.Dropout`, `torch.nn.GELU`, or a name
    imported from `torch.nn`): their constructors only store their arguments."""
    written = module.code_for_node(func)
    head, _, rest = written.rpartition(".")
    if head:
        return head in {"torch.nn", imports.nn} and "." not in rest
    return written in imports.from_torch_nn
