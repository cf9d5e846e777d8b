"""One walk over a libcst module that records every fact the linker and the rules need.

The walk is a single pass with an explicit parent stack (libcst's ParentNodeProvider costs
more than the parse). Each `self.<attr>` occurrence is classified at the moment it is met,
from its parents: is it a write, a call, a metadata read, an initialisation, a `None` test?
Nothing here knows which classes are modules: that is decided later, across files.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import libcst as cst

from deadweight.conventions import CONTAINERS, DYNAMIC_SELF_ATTRS, TIED_WEIGHTS_ATTR
from deadweight.extract import facts as F
from deadweight.extract.classify import assigned_value, classify, unpacked_position
from deadweight.extract.cstutil import (
    annotated_types,
    decorator_names,
    dotted,
    is_abstract,
    is_none,
    is_self,
    literal_index,
    params,
    return_types,
    string_name,
)
from deadweight.extract.dataflow import method_statements
from deadweight.extract.guards import guard_text
from deadweight.extract.must_assign import statement_assigns
from deadweight.extract.positions import REGISTER_METHODS
from deadweight.extract.values import class_named, container_layout, element_ctors, value_kind
from deadweight.extract.walk import walk

_NOT_PASSING = frozenset({"super", "isinstance", "hasattr", "getattr", "setattr", "delattr", "type", "id", "print"})


class Positions(Protocol):
    def self_attr(self, node: cst.Attribute) -> F.Span: ...
    def class_name(self, node: cst.ClassDef) -> F.Span: ...
    def func_name(self, node: cst.FunctionDef) -> F.Span: ...
    def self_call(self, node: cst.Call) -> F.Span: ...
    def alias_call(self, node: cst.Call) -> F.Span: ...


@dataclass
class _Func:
    """A function being walked: a method (owner set) or a module-level function."""

    node: cst.FunctionDef
    name: str
    params: tuple[str, ...]
    owner: _Class | None
    span: F.Span
    super_calls: list[str] = field(default_factory=list)
    passes_self: list[F.Call] = field(default_factory=list)
    dynamic: list[str] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)
    computed_writes: list[str] = field(default_factory=list)
    param_reads: list[F.ParamRead] = field(default_factory=list)
    stmt_index: int = 0
    overwrites: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)
    super_init_at: int | None = None
    returns: list[bool] = field(default_factory=list)  # True for each `return <value>`
    local_values: dict[str, cst.BaseExpression] = field(default_factory=dict)
    self_aliases: set[str] = field(default_factory=set)
    inner_params: set[str] = field(default_factory=set)  # first parameters of nested defs
    annotations: tuple[tuple[str, tuple[str, ...]], ...] = ()
    init_calls: list[F.InitCall] = field(default_factory=list)
    key_reads: list[str] = field(default_factory=list)
    key_locals: dict[str, str] = field(default_factory=dict)  # `version_key = name + ".version"`
    depth0: int = 0  # the collector's cond_depth where the method starts
    produced: list[str] = field(default_factory=list)  # callees whose results it returns
    tuple_returns: list[tuple[str, ...]] = field(default_factory=list)  # `return pool, fc`
    return_calls: list[tuple[str, tuple[tuple[str, str], ...]]] = field(default_factory=list)
    self_call_guards: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    # `pool, fc = create_classifier(..)`: local -> the call and the local's position in the tuple
    local_unpacked: dict[str, tuple[cst.Call, int]] = field(default_factory=dict)
    assigned: set[str] = field(default_factory=set)  # every local name bound so far
    fixed: dict[str, cst.BaseExpression] = field(default_factory=dict)  # bound once, unconditionally
    # `self.blocks = []` in this method: attr -> index of that write in the owner's writes, so
    # `self.blocks.append(Block())` / `self.heads[k] = Head()` later can say what it holds.
    empty_containers: dict[str, int] = field(default_factory=dict)
    local_fills: dict[str, tuple[str, ...]] = field(default_factory=dict)  # `row = []; row.append(X())`
    keyed_stores: list[tuple[str, str, str]] = field(default_factory=list)  # `self.d[k] = v`, k and v params
    self_calls: list[F.SelfCall] = field(default_factory=list)
    # the classes a local may hold at this point: `act = GELU(..)` in one branch, `act = GEGLU(..)`
    # in another, then `self.net.append(act)`; an unconditional binding replaces the earlier ones
    local_ctors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # what a local list holds, from its literal and every `append`/`+=` after it (`resnets =
    # [Block()]`, `resnets.append(Block())`), for the container built of it: `nn.ModuleList(resnets)`
    local_lists: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # for each local list: the classes appended only under an `if` (opened after the list was
    # bound, at `local_list_depth`), with that condition, as `Write.element_conditions`
    local_list_conditions: dict[str, dict[str, str]] = field(default_factory=dict)
    local_list_depth: dict[str, int] = field(default_factory=dict)
    local_args: dict[str, tuple[str, ...]] = field(default_factory=dict)  # `b = zero_module(conv)`: `Write.args`
    passthrough: list[str] = field(default_factory=list)  # parameters returned as they are
    # `norm_layer = norm_layer or partial(LayerNorm, eps=1e-6)`: a class default bound in the body
    local_defaults: list[tuple[str, str]] = field(default_factory=list)
    # `self.layer = nn.ModuleList()`: attr -> how many conditions enclose it, so that what an
    # `if` below it appends is known to be there only when that condition holds
    container_depth: dict[str, int] = field(default_factory=dict)


@dataclass
class _Class:
    node: cst.ClassDef
    qualname: str
    span: F.Span
    bases: tuple[str, ...]
    decorators: tuple[str, ...]
    methods: list[F.MethodFacts] = field(default_factory=list)
    writes: list[F.Write] = field(default_factory=list)
    reads: list[F.Read] = field(default_factory=list)
    class_attrs: list[tuple[str, str]] = field(default_factory=list)
    stored_calls: list[tuple[str, str]] = field(default_factory=list)


class Collector:
    """Walks one module; `result()` returns the file's classes, functions and imports."""

    def __init__(self, positions: Positions, code_for: Callable[[cst.CSTNode], str]) -> None:
        self.pos = positions
        self.code_for = code_for
        self.stack: list[cst.CSTNode] = []
        self.classes: list[_Class] = []
        self.finished_classes: list[F.ClassFacts] = []
        self.funcs: list[_Func] = []
        self.functions: list[F.FunctionFacts] = []
        self.imports: list[F.Import] = []
        self.imported: set[str] = set()  # names bound by imports: modules, classes, functions
        self.assignments: list[tuple[str, str]] = []
        self.class_tables: list[tuple[str, tuple[str, ...]]] = []
        self.external: set[tuple[str, str]] = set()  # (attribute, enclosing function or "")
        self.external_calls: set[str] = set()
        self.external_grabs: set[tuple[str, str]] = set()
        self.ctor_args: list[F.CtorArg] = []
        self.spans: dict[int, F.Span] = {}  # id(self.X node) -> span, for dataflow facts
        self.cond_depth = 0
        self.conds: list[str] = []
        # The tests of those conditions, rendered with fixed locals written in (`guards`) only
        # when a write sits under one: most conditions guard no weight.
        self.guards: list[cst.BaseExpression | None] = []
        self.lambdas = 0  # lambdas enclosing the node being visited

    # -- traversal -------------------------------------------------------------------------
    def on_visit(self, node: cst.CSTNode) -> bool:
        # One dict probe per node: most nodes (names, operators, whitespace) have no handler,
        # and a chain of `type is` tests cost them each a dozen comparisons.
        handler = _VISIT.get(type(node))
        if handler is not None:
            handler(self, node)
        if self.funcs and self.stack:
            f = self.funcs[-1]
            if self.stack[-1] is f.node.body:
                f.stmt_index += 1
                if isinstance(node, cst.If | cst.Try | cst.With):
                    assigned = statement_assigns(node)
                    if assigned:
                        f.overwrites.append((f.stmt_index, tuple(sorted(assigned))))
        self.stack.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.stack.pop()
        handler = _LEAVE.get(type(original_node))
        if handler is not None:
            handler(self, original_node)

    # -- per-type handlers of the walk (tables below the class) ------------------------------
    def _visit_if(self, node: cst.If) -> None:
        parent = self.stack[-1] if self.stack else None
        if isinstance(parent, cst.If) and parent.orelse is node:
            self._negate_branch(parent)  # `elif`: reached only when the `if` above was false
        self.cond_depth += 1
        self.conds.append(self.code_for(node.test))
        self.guards.append(node.test)

    def _read_guard(self) -> str | None:
        """The condition under which the node being visited runs: the innermost branch's, but
        `not (test)` in a ternary's `else` part, and the enclosing one in the test itself
        (`a if self.flag else b` reads `self.flag` whatever it holds)."""
        if not self.conds:
            return None
        for j in range(len(self.stack) - 1, -1, -1):
            n = self.stack[j]
            if type(n) is cst.If or type(n) in _BRANCHING:
                child = self.stack[j + 1] if j + 1 < len(self.stack) else None
                if isinstance(n, cst.If | cst.IfExp) and child is n.test:
                    return (self.conds[-2] if len(self.conds) > 1 else "") or None
                if isinstance(n, cst.IfExp) and child is n.orelse:
                    return f"not ({self.conds[-1]})"
                break
        return self.conds[-1] or None

    def _visit_else(self, node: cst.Else) -> None:
        parent = self.stack[-1] if self.stack else None
        if isinstance(parent, cst.If):
            self._negate_branch(parent)

    def _negate_branch(self, branch: cst.If) -> None:
        """The `else` (or `elif`) of `if test:` runs when `test` is false: what is written there
        is created only when `not (test)`, and construction must judge it that way."""
        if not self.conds or not self.guards or self.guards[-1] is not branch.test:
            return
        test = branch.test
        wrapped = test if test.lpar else test.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        self.conds[-1] = f"not ({self.code_for(test)})"
        self.guards[-1] = cst.UnaryOperation(operator=cst.Not(), expression=wrapped)

    def _visit_branching(self, node: cst.CSTNode) -> None:
        if type(node) is cst.For:
            self._rebind(node.target)
        self.cond_depth += 1
        is_ifexp = type(node) is cst.IfExp
        self.conds.append(self.code_for(node.test) if is_ifexp else "")  # type: ignore[attr-defined]
        self.guards.append(node.test if is_ifexp else None)  # type: ignore[attr-defined]

    def _leave_branching(self, node: cst.CSTNode) -> None:
        self.cond_depth -= 1
        self.conds.pop()
        self.guards.pop()

    def _visit_ann_assign(self, node: cst.AnnAssign) -> None:
        if isinstance(node.target, cst.Name) and node.value is not None:
            self._local(node.target.value, node.value)
        else:
            self._rebind(node.target)

    def _visit_rebinding(self, node: cst.CSTNode) -> None:
        if type(node) is cst.AugAssign and self.funcs:
            self._extend_local(self.funcs[-1], node)
        self._rebind(node.name if type(node) is cst.AsName else node.target)  # type: ignore[attr-defined]

    def _visit_return(self, node: cst.Return) -> None:
        if self.funcs and self.stack and not self._in_lambda_or_nested():
            v = node.value
            self.funcs[-1].returns.append(v is not None and not is_none(v))
            made = self._producer(v) if v is not None and not is_none(v) else "None"
            held = self.funcs[-1].local_ctors.get(v.value, ()) if isinstance(v, cst.Name) else ()
            if len(held) > 1:  # `m = MixedConv2d(..)` in one branch, `m = create_conv2d_pad(..)` in another
                self.funcs[-1].produced.extend(held)
            elif made:
                self.funcs[-1].produced.append(made)
            if isinstance(v, cst.Tuple) and not any(isinstance(e, cst.StarredElement) for e in v.elements):
                self.funcs[-1].tuple_returns.append(tuple(self._producer(e.value) or "" for e in v.elements))
            if isinstance(v, cst.Name) and v.value in self.funcs[-1].params:
                self.funcs[-1].passthrough.append(v.value)
            if isinstance(v, cst.Call) and (callee := dotted(v.func)):
                self.funcs[-1].return_calls.append((callee, self._call_texts(v.args)))

    def _visit_subscript(self, node: cst.Subscript) -> None:
        self._key_read(node.value, node.slice[0].slice)

    def _visit_lambda(self, node: cst.Lambda) -> None:
        self.lambdas += 1

    def _leave_lambda(self, node: cst.Lambda) -> None:
        self.lambdas -= 1

    def guard(self, test: cst.BaseExpression) -> str:
        """A condition's text with the method's fixed locals written in (see `guards`)."""
        if not self.funcs or not self.funcs[-1].fixed:
            return self.code_for(test)
        return guard_text(test, self.funcs[-1].fixed, self.code_for)

    def _rebind(self, target: cst.CSTNode) -> None:
        """A local bound other than by `name = value` (loop, tuple, `+=`, `as`, walrus): not fixed."""
        if not self.funcs:
            return
        f = self.funcs[-1]

        def enter(n: cst.CSTNode) -> bool:
            if isinstance(n, cst.Name):
                f.assigned.add(n.value)
                f.fixed.pop(n.value, None)
                f.local_unpacked.pop(n.value, None)  # a loop or `with` target: not the helper's item
            return not isinstance(n, cst.Attribute)

        walk(target, enter)

    def _extend_local(self, f: _Func, node: cst.AugAssign) -> None:
        """`stages += [Stage(..)]` on a local list that started empty: a fill like `append`."""
        target = node.target
        if not (isinstance(target, cst.Name) and isinstance(node.operator, cst.AddAssign)):
            return
        if _empty_container(f.local_values.get(target.value)):
            f.local_fills[target.value] = (*f.local_fills.get(target.value, ()), *element_ctors(node.value))
        if target.value in f.local_lists:
            made = element_ctors(node.value)
            self._note_appended(f, target.value, made)
            f.local_lists[target.value] = (*f.local_lists[target.value], *made)

    def _call_args(self, call: cst.Call) -> tuple[str, ...]:
        """What each positional argument of a helper call holds (`Write.args`): the class a call
        in it builds, the class a local holds, or the name passed; "" when none of these."""
        name = dotted(call.func) or ""
        if not name or name.rsplit(".", 1)[-1][:1].isupper():
            return ()  # a class is built, not a helper called: its arguments are its business
        held = self.funcs[-1].local_ctors if self.funcs else {}
        out: list[str] = []
        for a in call.args:
            if a.keyword is not None or a.star:
                break
            v = a.value
            if isinstance(v, cst.Call):
                out.append(dotted(v.func) or "")
            elif isinstance(v, cst.Name):
                made = held.get(v.value, ())
                out.append(made[0] if len(made) == 1 else ("" if made else v.value))
            else:
                out.append(dotted(v) or "")
        return tuple(out) if any(out) else ()

    def _local_modules(self, call: cst.Call) -> tuple[str, ...]:
        """The classes the locals passed to `self.net.append(act)` may hold (`local_ctors`)."""
        if not self.funcs:
            return ()
        held = self.funcs[-1].local_ctors
        return tuple(c for a in call.args if isinstance(a.value, cst.Name) for c in held.get(a.value.value, ()))

    def _fix_local(self, f: _Func, name: str, value: cst.BaseExpression) -> None:
        once = name not in f.assigned and self.cond_depth == f.depth0 and not self._in_nested_scope(f)
        f.assigned.add(name)
        if once:
            f.fixed[name] = value
        else:
            f.fixed.pop(name, None)

    def _in_nested_scope(self, f: _Func) -> bool:
        for n in reversed(self.stack):
            if n is f.node:
                return False
            if isinstance(n, (cst.Lambda, cst.FunctionDef)):
                return True
        return False

    def _in_lambda_or_nested(self) -> bool:
        f = self.funcs[-1]
        for n in reversed(self.stack):
            if n is f.node:
                return False
            if isinstance(n, cst.Lambda):
                return True
        return False

    # -- scopes -----------------------------------------------------------------------------
    def _enter_class(self, node: cst.ClassDef) -> None:
        span = self.pos.class_name(node)
        outer = self.classes[-1].qualname + "." if self.classes else ""
        bases = tuple(b for b in (self._base(a.value) for a in node.bases) if b)
        self.classes.append(_Class(node, outer + node.name.value, span, bases, decorator_names(node.decorators)))
        for stmt in node.body.body if isinstance(node.body, cst.IndentedBlock) else ():
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.Assign) and len(small.targets) == 1:
                        tgt = small.targets[0].target
                        if isinstance(tgt, cst.Name):
                            limit = 4000 if TIED_WEIGHTS_ATTR.search(tgt.value) else 300  # tied-weight maps can be long
                            self.classes[-1].class_attrs.append((tgt.value, self.code_for(small.value)[:limit]))
                    elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and small.value:
                        limit = 4000 if TIED_WEIGHTS_ATTR.search(small.target.value) else 300
                        self.classes[-1].class_attrs.append((small.target.value, self.code_for(small.value)[:limit]))

    def _base(self, expr: cst.BaseExpression) -> str | None:
        if isinstance(expr, cst.Subscript):  # Generic[T], nn.Module subclass with params
            expr = expr.value
        return dotted(expr)

    def _leave_class(self) -> None:
        c = self.classes.pop()
        self.finished_classes.append(
            F.ClassFacts(
                name=c.node.name.value,
                qualname=c.qualname,
                span=c.span,
                bases=c.bases,
                methods=tuple(c.methods),
                writes=tuple(c.writes),
                reads=tuple(c.reads),
                class_attrs=tuple(c.class_attrs),
                decorators=c.decorators,
                stored_calls=tuple(dict.fromkeys(c.stored_calls)),
            )
        )

    def _enter_func(self, node: cst.FunctionDef) -> None:
        span = self.pos.func_name(node)
        owner = None
        # A method is a def directly in a class body; nested defs belong to their method.
        if self.classes and len(self.stack) >= 2 and self.stack[-2] is self.classes[-1].node:
            owner = self.classes[-1]
        if owner is None and self.funcs:
            if self.funcs[-1].owner is None:  # a wrapper inside a decorator: it receives the module
                self.funcs[-1].inner_params.update(params(node)[:1])
            return  # nested function: its facts go to the enclosing function
        self.funcs.append(
            _Func(
                node,
                node.name.value,
                params(node),
                owner,
                span,
                annotations=annotated_types(node),
                depth0=self.cond_depth,
            )
        )

    def _leave_func(self, node: cst.FunctionDef) -> None:
        if not self.funcs or self.funcs[-1].node is not node:
            return
        f = self.funcs.pop()
        if f.owner is not None:
            statements = method_statements(node, f.name, self.spans)
            f.owner.methods.append(
                F.MethodFacts(
                    name=f.name,
                    span=f.span,
                    params=f.params,
                    decorators=decorator_names(node.decorators),
                    abstract=is_abstract(node),
                    super_calls=tuple(f.super_calls),
                    passes_self=tuple(f.passes_self),
                    dynamic=tuple(dict.fromkeys(f.dynamic)),
                    dynamic_patterns=tuple(dict.fromkeys(f.patterns)),
                    computed_writes=tuple(dict.fromkeys(f.computed_writes)),
                    annotations=f.annotations,
                    param_reads=tuple(f.param_reads),
                    statements=statements,
                    overwrites=tuple(f.overwrites),
                    calls_super_init_at=f.super_init_at,
                    init_calls=tuple(f.init_calls),
                    defaults=_defaults(node),
                    positional=_positional_params(node),
                    rebound=tuple(p for p in f.params if p in f.assigned),
                    self_call_guards=tuple(f.self_call_guards),
                    class_defaults=tuple(dict.fromkeys((*_class_defaults(node), *f.local_defaults))),
                    key_reads=tuple(dict.fromkeys(f.key_reads)),
                    returns_only_none=bool(f.returns) and not any(f.returns),
                    returns_value=any(f.returns),
                    returns=tuple(dict.fromkeys(f.produced)),
                    return_types=return_types(node),
                    keyed_stores=tuple(dict.fromkeys(f.keyed_stores)),
                    self_calls=tuple(f.self_calls),
                    returns_params=tuple(dict.fromkeys(f.passthrough)),
                    tuple_returns=tuple(dict.fromkeys(f.tuple_returns)),
                )
            )
        else:
            self.functions.append(
                F.FunctionFacts(
                    f.name,
                    f.span,
                    f.params,
                    tuple(f.param_reads),
                    tuple(sorted(f.inner_params)),
                    tuple(f.passes_self),
                    f.annotations,
                    tuple(dict.fromkeys(f.key_reads)),
                    tuple(dict.fromkeys(f.produced)),
                    return_types(node),
                    tuple(dict.fromkeys(f.passthrough)),
                    tuple(dict.fromkeys(f.tuple_returns)),
                    tuple(f.return_calls),
                    _positional_params(node),
                    tuple(p for p in f.params if p in f.assigned),
                    _defaults(node),
                )
            )

    def _producer(self, expr: cst.BaseExpression) -> str | None:
        """The callee whose result an expression is: `Wrapper(...)`, or a local assigned one."""
        if isinstance(expr, cst.Name) and self.funcs:
            local = self.funcs[-1].local_values.get(expr.value)
            expr = local if local is not None else expr
        if not isinstance(expr, cst.Call):
            return None
        func = expr.func
        if isinstance(func, cst.Subscript):  # `ACT2CLS[name]()`: one of a table's classes
            table = dotted(func.value)
            return f"{table}[...]" if table else None
        return dotted(func)

    def _ctor_args(self, fname: str, node: cst.Call) -> None:
        """What each argument of a class-like call was produced by (see `F.CtorArg`)."""
        position = 0
        for a in node.args:
            if a.star:
                return  # `*args`: positions after it are unknown
            key: str | int = a.keyword.value if a.keyword is not None else position
            if a.keyword is None:
                position += 1
            made = self._producer(a.value)
            if made:
                self.ctor_args.append(F.CtorArg(fname, key, made))

    def _method(self) -> _Func | None:
        """The method whose body we are in (nested functions and lambdas included)."""
        if (
            self.funcs
            and self.funcs[-1].owner is not None
            and self.classes
            and self.funcs[-1].owner is self.classes[-1]
        ):
            return self.funcs[-1]
        return None

    # -- imports ----------------------------------------------------------------------------
    def _import(self, node: cst.Import | cst.ImportFrom) -> None:
        before = len(self.imports)
        self._record_import(node)
        self.imported.update(i.local for i in self.imports[before:])

    def _record_import(self, node: cst.Import | cst.ImportFrom) -> None:
        if isinstance(node, cst.Import):
            for alias in node.names:
                full = dotted(alias.name) or ""
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    self.imports.append(F.Import(alias.asname.name.value, full, None))
                else:
                    # `import a.b` binds `a`, and `a.b.X` resolves through the full name.
                    self.imports.append(F.Import(full.split(".")[0], full.split(".")[0], None))
                    if "." in full:
                        self.imports.append(F.Import(full, full, None))
            return
        module = dotted(node.module) if node.module is not None else None
        level = len(node.relative)
        if isinstance(node.names, cst.ImportStar):
            self.imports.append(F.Import("*", module, "*", level))
            return
        for alias in node.names:
            name = alias.name.value if isinstance(alias.name, cst.Name) else dotted(alias.name) or ""
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.imports.append(F.Import(local, module, name, level))

    # -- self.<attr> -----------------------------------------------------------------------
    def _chain(self, node: cst.Attribute) -> tuple[tuple[str, ...], cst.CSTNode, int]:
        """Extend `self.a` upward to `self.a.b.c`; returns (chain, top node, parent index)."""
        chain = [node.attr.value]
        top: cst.CSTNode = node
        i = len(self.stack) - 1
        while i >= 0:
            p = self.stack[i]
            if isinstance(p, cst.Attribute) and p.value is top:
                chain.append(p.attr.value)
                top = p
                i -= 1
            else:
                break
        return tuple(chain), top, i

    def _attribute(self, node: cst.Attribute) -> None:
        base = node.value
        if not isinstance(base, cst.Name):
            inner = base
            while isinstance(inner, cst.Attribute):
                inner = inner.value
            if not is_self(inner):  # self.embed.pos is a holder read, recorded with its chain
                self.external.add((node.attr.value, self.funcs[-1].name if self.funcs else ""))
                self._grab(node)
            return
        if base.value == "self":
            span = self.pos.self_attr(node)
            self.spans[id(node)] = span
            m = self._method()
            if m is None:
                self._param_read(node, "self")  # SAT's default hooks: def attention_fn(self, ...)
                return
            chain, top, i = self._chain(node)
            self._self_attr(m, chain, top, i, span)
            return
        m = self._method()
        if m is not None and base.value in m.self_aliases:  # `origin = self; origin.rope(q)`
            chain, top, i = self._chain(node)
            self._self_attr(m, chain, top, i, m.span)
            return
        f = self.funcs[-1] if self.funcs else None
        # `F.dropout(x)` reads a function of an imported module, never this module's layer;
        # annotated parameters are typed when linked.
        if base.value not in self.imported and (f is None or not any(base.value == p for p, _ in f.annotations)):
            self.external.add((node.attr.value, f.name if f else ""))
            self._grab(node)
        self._param_read(node, base.value)

    def _grab(self, node: cst.Attribute) -> None:
        """`self.flow_model = model.model[-1].flow_model`: another object's weight kept under its
        own name (a loss holding the model's head), to be used through `self.flow_model`."""
        m = self._method()
        if isinstance(node.value, cst.Name):
            return  # `self.dropout = config.dropout` copies a setting; a grab walks an object graph
        value: cst.CSTNode = node
        for parent in reversed(self.stack):
            if isinstance(parent, (cst.IfExp, cst.BooleanOperation)):
                value = parent
                continue
            if isinstance(parent, cst.Assign) and parent.value is value and m is not None and m.owner is not None:
                for t in parent.targets:
                    target = t.target
                    if (
                        isinstance(target, cst.Attribute)
                        and is_self(target.value)
                        and target.attr.value == node.attr.value
                    ):
                        self.external_grabs.add((node.attr.value, f"{m.owner.qualname}.{m.name}"))
            return

    def _param_read(self, node: cst.Attribute, param: str) -> None:
        """`attn.to_q` in a function that receives the module as parameter `attn`."""
        if not self.funcs:
            return
        f = self.funcs[-1]
        if param in f.params or param in f.inner_params:
            chain, top, i = self._chain(node)
            kind = classify(self.stack, chain, top, i)
            if kind != "write":
                f.param_reads.append(F.ParamRead(param, chain, kind, f.span))

    def _self_attr(self, m: _Func, chain: tuple[str, ...], top: cst.CSTNode, i: int, span: F.Span) -> None:
        owner = m.owner
        assert owner is not None
        parent = self.stack[i] if i >= 0 else None
        name = chain[0]
        if len(chain) == 1 and isinstance(parent, cst.Call) and parent.func is top and name in REGISTER_METHODS:
            self._register_call(m, name, parent, span)
            return
        if name in DYNAMIC_SELF_ATTRS and len(chain) == 1 and not _first_item_only(self.stack, i):
            m.dynamic.append(f"self.{name}")
        kind = classify(self.stack, chain, top, i)
        if len(chain) == 1 and kind == F.VALUE:
            holder = _stored_as(self.stack, top, i, self.lambdas > 0)
            if holder is not None and holder != name:
                owner.stored_calls.append((holder, name))
        if kind == "write":
            if len(chain) == 1:
                value = assigned_value(self.stack, top, i)
                bare = value is None and isinstance(self.stack[i] if i >= 0 else None, cst.AnnAssign)
                self._record_write(
                    m, name, value, span, "annotation" if bare else "assign", unpacked_position(self.stack, top, i)
                )
            return
        into = _stored_into(self.stack, i) if kind == F.PASSED else None
        index = None
        if kind == F.VALUE and len(chain) == 1 and isinstance(parent, cst.Subscript) and parent.value is top:
            index = literal_index(parent.slice[0].slice) if len(parent.slice) == 1 else None
        passes = None
        if kind == F.VALUE and len(chain) == 1 and isinstance(parent, cst.Call) and parent.func is top:
            passes = _call_shape(parent)
        owner.reads.append(F.Read(chain, m.name, span, kind, self._read_guard(), into, index, passes))

    # -- writes ----------------------------------------------------------------------------
    def _local_fills(self, call: cst.Call) -> tuple[str, ...]:
        """What the local lists passed to `self.grid.append(row)` were filled with: a list of
        lists of modules is as unregistered as a list of modules."""
        if not self.funcs:
            return ()
        fills = self.funcs[-1].local_fills
        return tuple(c for a in call.args if isinstance(a.value, cst.Name) for c in fills.get(a.value.value, ()))

    def _note_appended(self, f: _Func, name: str, ctors: tuple[str, ...]) -> None:
        """`attentions.append(Dual(..))` under `if dual:` after `attentions = []`: that class is
        in the list only when the conditions opened since the list was bound hold (all of them)."""
        opened = [c for c in self.conds[f.local_list_depth.get(name, 0) :] if c]
        guard = " and ".join(f"({c})" for c in opened) if len(opened) > 1 else (opened[0] if opened else None)
        _note_conditions(f.local_list_conditions.setdefault(name, {}), f.local_lists.get(name, ()), ctors, guard)

    def _fill(self, target: cst.Attribute, ctors: tuple[str, ...]) -> None:
        """`self.<attr>` was set to an empty list or dict in this method and is now filled with
        constructed objects: the write becomes a plain container of them (DW201's business)."""
        m = self._method()
        if not ctors or m is None or m.owner is None or not is_self(target.value):
            return
        index = m.empty_containers.get(target.attr.value)
        if index is None:
            return
        w = m.owner.writes[index]
        # an empty `nn.ModuleList()` stays a registered container; it learns what it holds
        kind = w.kind if w.kind == F.MODULE else F.PLAIN_CONTAINER
        # an item appended under an `if` below the container's creation is there only when it holds
        guard = next((c for c in reversed(self.conds[m.container_depth.get(target.attr.value, 0) :]) if c), None)
        conditions = dict(w.element_conditions)
        _note_conditions(conditions, w.elements, ctors, guard)
        m.owner.writes[index] = dataclasses.replace(
            w,
            kind=kind,
            elements=tuple(dict.fromkeys((*w.elements, *ctors))),
            element_conditions=tuple(conditions.items()),
        )

    def _record_write(
        self,
        m: _Func,
        attr: str,
        value: cst.BaseExpression | None,
        span: F.Span,
        via: str,
        unpacked: int | None = None,
    ) -> None:
        """`self.<attr> = value` (or add_module/setattr): what the value creates decides the kind."""
        if isinstance(value, cst.Name) and unpacked is None and value.value in m.local_unpacked:
            value, unpacked = m.local_unpacked[value.value]  # `self.fc = fc` of `pool, fc = make(..)`
        kind, ctor, elements, kwargs, cond = value_kind(value, m.local_values, self.code_for)
        resolved = value_kind(value, m.local_values, self.code_for, self.guard)[4] if cond else None
        source = value.value if isinstance(value, cst.Name) else None
        assign = next((n for n in reversed(self.stack) if isinstance(n, cst.Assign)), None)
        if source is None and assign is not None and len(assign.targets) > 1 and assign.value is value:
            source = f"<chained assignment, line {span.line}>"  # `self.a = self.b = Block()`: one object
        empty = isinstance(value, cst.Call) and not value.args
        two = isinstance(value, cst.IfExp) and kind == F.MODULE and cond is None and bool(elements)
        choice = self.guard(value.test) if isinstance(value, cst.IfExp) and two else None
        alias = _alias_test(value, m.local_values) if kind == F.MODULE and elements else None
        if alias is not None:  # `cls = A if guided else B`, then `cls(..)`: A when the test holds
            choice = self.guard(alias)
        if _empty_container(value) or (_container(kind, ctor) and _no_items(value)):
            assert m.owner is not None
            m.empty_containers[attr] = len(m.owner.writes)
            m.container_depth[attr] = len(self.conds)
        else:
            m.empty_containers.pop(attr, None)
        held = self.funcs[-1].local_ctors.get(value.value, ()) if isinstance(value, cst.Name) and self.funcs else ()
        if isinstance(value, cst.Call):
            args = self._call_args(value)
        else:
            args = self.funcs[-1].local_args.get(value.value, ()) if isinstance(value, cst.Name) and self.funcs else ()
        only_when: dict[str, str] = {}
        if kind == F.MODULE and len(held) > 1:  # `conv = nn.Conv2d(..)` in one branch, `nn.AvgPool2d(..)` in another
            elements = tuple(dict.fromkeys((*elements, *(c for c in held if c != ctor))))
        if _container(kind, ctor) and isinstance(value, cst.Call):  # `nn.Sequential(*stages)` of a filled local
            lists = self.funcs[-1].local_lists if self.funcs else {}
            filled = tuple(c for a in value.args if isinstance(a.value, cst.Name) for c in lists.get(a.value.value, ()))
            elements = tuple(dict.fromkeys((*elements, *filled))) if filled else elements
            appended = self.funcs[-1].local_list_conditions if self.funcs else {}
            for a in value.args:
                if isinstance(a.value, cst.Name):
                    only_when.update(appended.get(a.value.value, {}))
        self._append_write(
            m,
            attr,
            span,
            kind,
            via,
            ctor,
            elements=elements,
            kwargs=kwargs,
            cond=cond,
            resolved=resolved,
            source=source,
            no_args=empty,
            uses_previous=value is not None and _mentions_attr_or_self(value, attr),
            layout=container_layout(value, self.code_for) if _container(kind, ctor) else ((), None),
            choice=choice,
            args=args if kind == F.MODULE else (),
            derived=self.code_for(value)
            if value is not None and m.name == "__init__" and _boolean_test(value)
            else None,
            unpacked=unpacked if isinstance(value, cst.Call) else None,
            positional=_positional(value) if isinstance(value, cst.Call) else None,
            element_conditions=tuple(only_when.items()),
            call=self._call_texts(made.args)
            if kind == F.MODULE and (made := _built_call(value, m.local_values)) is not None
            else (),
            value=self.guard(value)[:_VALUE_TEXT]
            if value is not None and m.name == "__init__" and _evaluable(value)
            else None,
        )

    def _call_texts(self, args: Sequence[cst.Arg]) -> tuple[tuple[str, str], ...]:
        """A call's arguments as `Write.call` keeps them, fixed locals written in (short)."""
        fixed = self.funcs[-1].fixed if self.funcs else {}
        out = []
        for a in args:
            key = a.keyword.value if a.keyword is not None else (a.star or "")
            v = a.value
            name = dotted(v) if isinstance(v, cst.Name | cst.Attribute) else None
            if name is not None and name.split(".", 1)[0] not in fixed:
                text = name  # the common case, without generating code
            elif isinstance(v, cst.Integer | cst.SimpleString):
                text = v.value
            else:
                text = self.guard(v)
            out.append((key, text[:_ARG_TEXT]))
        return tuple(out)

    def _append_write(
        self,
        m: _Func,
        attr: str,
        span: F.Span,
        kind: str,
        via: str,
        ctor: str | None,
        *,
        elements: tuple[str, ...] = (),
        kwargs: tuple[tuple[str, str], ...] = (),
        cond: str | None = None,
        resolved: str | None = None,
        source: str | None = None,
        no_args: bool = False,
        uses_previous: bool = False,
        layout: tuple[tuple[str, ...], str | None] = ((), None),
        choice: str | None = None,
        args: tuple[str, ...] = (),
        derived: str | None = None,
        unpacked: int | None = None,
        positional: int | None = None,
        call: tuple[tuple[str, str], ...] = (),
        value: str | None = None,
        element_conditions: tuple[tuple[str, str], ...] = (),
    ) -> None:
        owner = m.owner
        assert owner is not None
        chain = self._guard_chain(m, (resolved or cond) if cond is not None else None)
        condition = cond if cond is not None else (self.conds[-1] if self.conds else None)
        if cond is None:
            test = self.guards[-1] if self.guards else None
            resolved = self.guard(test) if test is not None else None
        owner.writes.append(
            F.Write(
                attr=attr,
                method=m.name,
                span=span,
                kind=kind,
                ctor=ctor,
                via=via,
                conditional=self.cond_depth > 0 or cond is not None,
                condition=condition or None,
                resolved_condition=resolved if resolved and resolved != condition else None,
                elements=elements,
                kwargs=kwargs,
                before_super_init=m.name == "__init__" and m.super_init_at is None,
                statement=m.stmt_index,
                source=source,
                no_args=no_args,
                uses_previous=uses_previous,
                items=layout[0],
                count=layout[1],
                choice=choice,
                args=args,
                derived=derived,
                unpacked=unpacked,
                positional=positional,
                guards=chain,
                call=call,
                value=value,
                element_conditions=element_conditions,
            )
        )

    def _guard_chain(self, m: _Func, cond: str | None) -> tuple[str, ...]:
        """Every condition of method `m` that encloses the write being recorded, outermost
        first (see `Write.guards`; an `else` branch's is already negated), and a ternary
        value's own test (`cond`) last."""
        out = [self.guard(g) if g is not None else "" for g in self.guards[m.depth0 :]]
        if cond is not None:
            out.append(cond)
        return tuple(out)

    def _register_call(self, m: _Func, fn: str, call: cst.Call, span: F.Span) -> None:
        args = [a for a in call.args if a.keyword is None]
        kw = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        name_expr = args[0].value if args else kw.get("name")
        name = string_name(name_expr) if name_expr is not None else None
        if name is None:
            m.computed_writes.append(f"self.{fn}")  # a write under a name we cannot read: no use
            return
        value = args[1].value if len(args) > 1 else kw.get("tensor", kw.get("param", kw.get("module")))
        if fn == "register_buffer":
            kind = F.NONE if value is not None and is_none(value) else F.BUFFER
            persistent = kw.get("persistent", args[2].value if len(args) > 2 else None)
            kwargs = (("persistent", self.code_for(persistent)),) if persistent is not None else ()
            self._record_raw(m, name, span, kind, fn, value, kwargs)
        elif fn == "register_parameter":
            kind = F.NONE if value is None or is_none(value) else F.PARAMETER
            self._record_raw(m, name, span, kind, fn, value)
        else:
            self._record_write(m, name, value, span, "add_module")

    def _record_raw(
        self,
        m: _Func,
        name: str,
        span: F.Span,
        kind: str,
        via: str,
        value: cst.BaseExpression | None,
        kwargs: tuple[tuple[str, str], ...] = (),
    ) -> None:
        """register_buffer / register_parameter: the call itself says what the weight is; a
        ternary with a `None` side (`nn.Parameter(b) if b is not None else None`) is its guard."""
        ctor = dotted(value.func) if isinstance(value, cst.Call) else None
        cond = resolved = None
        if isinstance(value, cst.IfExp):
            got, ctor, _, _, cond = value_kind(value, m.local_values, self.code_for)
            resolved = value_kind(value, m.local_values, self.code_for, self.guard)[4]
            if got == F.NONE:
                kind = F.NONE
        self._append_write(m, name, span, kind, via, ctor, kwargs=kwargs, cond=cond, resolved=resolved)

    # -- calls -----------------------------------------------------------------------------
    def _call(self, node: cst.Call) -> None:
        if not self.funcs:
            return
        f = self.funcs[-1]
        func = node.func
        # super().m(...) / super(Cls, self).m(...)
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Call) and dotted(func.value.func) == "super":
            f.super_calls.append(func.attr.value)
            if func.attr.value == "__init__" and f.super_init_at is None:
                f.super_init_at = f.stmt_index
            sargs = func.value.args
            target = (dotted(sargs[0].value) or "") if len(sargs) == 2 else ""
            f.init_calls.append(
                _init_call(func.attr.value, target, bool(target), node.args, self._call_texts(node.args))
            )
            return
        if isinstance(func, cst.Name):
            alias = f.local_values.get(func.value)
            if isinstance(alias, cst.Attribute) and is_self(alias.value) and alias.attr.value in REGISTER_METHODS:
                span = self.pos.alias_call(node)  # `reg = self.register_buffer; reg("counts", t)`
                m = self._method()
                if m is not None:
                    self._register_call(m, alias.attr.value, node, span)
                return
        fname = dotted(func)
        if isinstance(func, cst.Attribute) and func.attr.value in _FILLS:
            if isinstance(func.value, cst.Attribute):  # `self.blocks.append(Block(dim))`
                self._fill(func.value, (*element_ctors(node), *self._local_fills(node), *self._local_modules(node)))
            elif isinstance(func.value, cst.Name) and self.funcs:  # `row.append(Block(dim))`
                f = self.funcs[-1]
                if _empty_container(f.local_values.get(func.value.value)):
                    made = (*element_ctors(node), *self._local_modules(node))
                    f.local_fills[func.value.value] = (*f.local_fills.get(func.value.value, ()), *made)
                if func.value.value in f.local_lists:
                    made = (*element_ctors(node), *self._local_modules(node))
                    self._note_appended(f, func.value.value, made)
                    f.local_lists[func.value.value] = tuple(dict.fromkeys((*f.local_lists[func.value.value], *made)))
        if isinstance(func, cst.Attribute) and is_self(func.value) and f.owner is not None:
            self._self_call(f, func.attr.value, node)
            if f.name == "__init__":
                f.self_call_guards.append((func.attr.value, self._guard_chain(f, None)))
        if isinstance(func, cst.Attribute) and not is_self(func.value):
            self.external_calls.add(func.attr.value)  # `criterion(model)` calling model.decoder.step()
        if isinstance(func, cst.Attribute) and func.attr.value in ("get", "pop") and node.args:
            self._key_read(func.value, node.args[0])
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value == "__init__"
            and fname
            and node.args
            and is_self(node.args[0].value)
        ):
            texts = self._call_texts(node.args[1:])
            f.init_calls.append(_init_call("__init__", fname.rsplit(".", 1)[0], False, node.args[1:], texts))
        if fname == "eval" and node.args:
            self._eval_call(f, node.args[0].value)
        if fname == "getattr" and node.args and is_self(node.args[0].value):
            if self._method() is None:
                self.pos.self_call(node)
                self._param_getattr(f, node)
            else:
                self._getattr(f, node)
            return
        if fname == "getattr" and len(node.args) >= 2 and isinstance(node.args[0].value, cst.Name):
            self._param_getattr(f, node)
        if fname == "getattr" and len(node.args) >= 2:
            self._child_getattr(node)
        if fname in ("setattr", "hasattr", "delattr") and node.args and is_self(node.args[0].value):
            self._self_named_call(f, fname, node)
            return
        if fname and fname.rsplit(".", 1)[-1][:1].isupper() and node.args:
            self._ctor_args(fname, node)
        # local `x = Ctor(...)` later stored as `self.y = x`
        for idx, a in enumerate(node.args):
            if is_self(a.value) and fname not in _NOT_PASSING:
                if fname in ("vars",):
                    continue  # the instance __dict__: parameters, buffers and children are not in it
                f.passes_self.append(
                    F.Call(
                        fname or self.code_for(func)[:60],
                        idx if a.keyword is None else -1,
                        a.keyword.value if a.keyword else None,
                        f.span,
                    )
                )

    def _eval_call(self, f: _Func, arg: cst.BaseExpression) -> None:
        """`eval(f"self.extractor_{name}")`: access to the weights the template can name (a
        pattern), or to any weight when the string mentions `self` in a way we cannot read."""
        if isinstance(arg, cst.FormattedString):
            text = "".join(p.value if isinstance(p, cst.FormattedStringText) else "*" for p in arg.parts)
        elif isinstance(arg, cst.SimpleString):
            text = str(arg.evaluated_value)
        else:
            # `eval("self." + name)` builds code naming self; `eval(self.cfg.conv_layers)` runs a
            # configuration string, data that names no attribute of the module
            if _mentions_self(arg):
                f.dynamic.append("eval(<expression>)")
            return
        if not text.startswith("self."):
            if "self" in text:
                f.dynamic.append("eval(<expression>)")
            return
        name = re.match(r"[\w*]*", text[5:])
        stem = name.group(0) if name else ""
        if not stem.strip("*"):
            f.dynamic.append("eval(<expression>)")
        else:
            f.patterns.append("^" + ".*".join(re.escape(p) for p in stem.split("*")) + "$")

    def _param_getattr(self, f: _Func, node: cst.Call) -> None:
        """`getattr(attn, "to_q")` / `getattr(self, "fc" + suffix)` in a function given the module."""
        param = node.args[0].value
        if (
            not isinstance(param, cst.Name)
            or len(node.args) < 2
            or (param.value not in f.params and param.value not in f.inner_params)
        ):
            return
        name = string_name(node.args[1].value)
        if name is not None:
            f.param_reads.append(F.ParamRead(param.value, (name,), F.VALUE, f.span))

    def _key_read(self, mapping: cst.BaseExpression, key: cst.BaseSlice | cst.Arg) -> None:
        """`state_dict[prefix + "version"]` in a function given the mapping: a read by checkpoint key."""
        m = self.funcs[-1] if self.funcs else None
        if m is None or not isinstance(mapping, cst.Name):
            return
        if mapping.value not in (m.params[1:] if m.owner is not None else m.params):
            return
        expr = key.value if isinstance(key, (cst.Index, cst.Arg)) else None
        if isinstance(expr, cst.Name):
            name = m.key_locals.get(expr.value)
        else:
            name = _key_tail(expr) if expr is not None else None
        if name is not None:
            m.key_reads.append(name)

    def _child_getattr(self, node: cst.Call) -> None:
        """`getattr(self.encoder, "null_emb", None)` reads `self.encoder.null_emb` (a holder read)."""
        holder = node.args[0].value
        m = self._method()
        if m is None or m.owner is None or not isinstance(holder, cst.Attribute) or not is_self(holder.value):
            return
        name = string_name(node.args[1].value)
        if name is not None and "*" not in name:
            cond = self.conds[-1] if self.conds else None
            m.owner.reads.append(F.Read((holder.attr.value, name), m.name, m.span, F.VALUE, cond))

    def _getattr(self, f: _Func, node: cst.Call) -> None:
        span = self.pos.self_call(node)
        if len(node.args) < 2:
            return
        name = string_name(node.args[1].value)
        m = self._method()
        if name is None:
            names = _loop_literals(self.stack, node.args[1].value) or _attr_default(m, node.args[1].value)
            arg = node.args[1].value
            if names is None and isinstance(arg, cst.Attribute) and is_self(arg.value):
                # `getattr(self, self.base_model_prefix)`: the name is a class attribute, read
                # per concrete class when linked
                f.dynamic.append(f"getattr(self, self.{arg.attr.value})")
            elif names is None:
                f.dynamic.append("getattr(self, <name>)")
            elif m is not None and m.owner is not None:
                cond = self.conds[-1] if self.conds else None
                m.owner.reads.extend(F.Read((n,), m.name, span, F.VALUE, cond) for n in names)
            return
        if "*" in name:
            f.patterns.append("^" + ".*".join(re.escape(p) for p in name.split("*")) + "$")
            return
        if m is not None and m.owner is not None:
            m.owner.reads.append(F.Read((name,), m.name, span, F.VALUE, self.conds[-1] if self.conds else None))

    def _self_named_call(self, f: _Func, fname: str, node: cst.Call) -> None:
        span = self.pos.self_call(node)
        m = self._method()
        if m is None or m.owner is None or len(node.args) < 2:
            return
        name = string_name(node.args[1].value)
        if name is None:
            if fname == "setattr":
                f.computed_writes.append("setattr")  # hasattr/delattr/setattr use no value
            return
        if fname == "hasattr":
            m.owner.reads.append(F.Read((name,), m.name, span, F.HASATTR, self.conds[-1] if self.conds else None))
        elif fname == "delattr":
            m.owner.reads.append(F.Read((name,), m.name, span, F.DELETE, None))
        elif len(node.args) >= 3:
            self._record_write(m, name, node.args[2].value, span, "setattr")

    # -- module-level assignments and locals -----------------------------------------------
    def _unpack_locals(self, f: _Func, target: cst.BaseAssignTargetExpression, value: cst.BaseExpression) -> None:
        """`pool, fc = create_classifier(..)`: each name keeps its position in what the call
        returns, so `self.fc = fc` below is that item of the helper's tuple."""
        if not isinstance(target, (cst.Tuple, cst.List)) or not isinstance(value, cst.Call):
            return
        if any(isinstance(e, cst.StarredElement) for e in target.elements):
            return
        for position, e in enumerate(target.elements):
            if isinstance(e.value, cst.Name):
                f.local_values.pop(e.value.value, None)
                f.local_unpacked[e.value.value] = (value, position)

    def _local(self, target: str, value: cst.BaseExpression) -> None:
        if not self.funcs:
            return
        f = self.funcs[-1]
        f.local_unpacked.pop(target, None)
        if isinstance(value, cst.BooleanOperation) and isinstance(value.operator, cst.Or):
            default = class_named(value.right)
            if default and default.rsplit(".", 1)[-1][:1].isupper():
                f.local_defaults.append((target, default))
        if isinstance(value, cst.Call):  # before the binding: `conv = zero_module(conv)` passes the old one
            f.local_args[target] = self._call_args(value)
        else:
            f.local_args.pop(target, None)
        self._fix_local(f, target, value)
        f.local_values[target] = value
        f.local_fills.pop(target, None)  # a new list: what filled the old one is gone
        made = element_ctors(cst.List([cst.Element(value)])) if isinstance(value, cst.Call | cst.IfExp) else ()
        listed = element_ctors(value) if isinstance(value, cst.List | cst.ListComp | cst.Tuple) else None
        if self.cond_depth == f.depth0:  # bound on every path: what it held before is gone
            f.local_ctors[target] = made
            f.local_list_conditions.pop(target, None)
            if listed is None:
                f.local_lists.pop(target, None)
            else:
                f.local_lists[target] = listed
                f.local_list_depth[target] = len(self.conds)
        else:  # one branch's binding: one more class it may hold
            if made:
                f.local_ctors[target] = tuple(dict.fromkeys((*f.local_ctors.get(target, ()), *made)))
            if listed is not None:
                f.local_lists[target] = tuple(dict.fromkeys((*f.local_lists.get(target, ()), *listed)))

    def _keyed_store(self, target: cst.BaseAssignTargetExpression, value: cst.BaseExpression) -> None:
        """`self.mixins[name] = new_mixin`, both parameters of the method: what a caller passes
        is stored under the key it passes (`model/stored.py` follows the calls)."""
        f = self.funcs[-1] if self.funcs else None
        if f is None or f.owner is None or not isinstance(value, cst.Name) or value.value not in f.params:
            return
        if not (isinstance(target, cst.Subscript) and isinstance(target.value, cst.Attribute)):
            return
        if not is_self(target.value.value) or len(target.slice) != 1:
            return
        key = target.slice[0].slice
        if isinstance(key, cst.Index) and isinstance(key.value, cst.Name) and key.value.value in f.params:
            f.keyed_stores.append((target.value.attr.value, key.value.value, value.value))

    def _self_call(self, f: _Func, method: str, node: cst.Call) -> None:
        """`self.add_mixin("pos_embed", Mixin(...))`: kept when a constructor call is passed."""
        if not any(isinstance(a.value, cst.Call) and dotted(a.value.func) for a in node.args):
            return
        args: list[F.CallArg] = []
        for a in node.args:
            if a.star:
                continue
            keyword = a.keyword.value if a.keyword is not None else None
            if isinstance(a.value, cst.Call) and dotted(a.value.func):
                kwargs = tuple(
                    (x.keyword.value, self.code_for(x.value)[:40]) for x in a.value.args if x.keyword is not None
                )
                args.append(F.CallArg(keyword, None, dotted(a.value.func), kwargs))
            else:
                args.append(F.CallArg(keyword, _literal(a.value)))
        star = any(a.star for a in node.args)
        f.self_calls.append(F.SelfCall(method, tuple(args), star))

    def _assign(self, node: cst.Assign) -> None:
        """Locals (`layer = nn.Linear(..)` then `self.proj = layer`) and module-level aliases."""
        for t in node.targets:
            self._keyed_store(t.target, node.value)
            if isinstance(t.target, cst.Subscript) and isinstance(t.target.value, cst.Attribute):
                filled = self._local_fills(cst.Call(cst.Name("_"), [cst.Arg(node.value)]))
                self._fill(
                    t.target.value, (*element_ctors(cst.List([cst.Element(node.value)])), *filled)
                )  # `self.heads[k] = Head()`, `self.stages[k] = row` of a filled local list
        if len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
            for t in node.targets:
                self._rebind(t.target)
            if len(node.targets) == 1 and self.funcs:
                self._unpack_locals(self.funcs[-1], node.targets[0].target, node.value)
            return
        target = node.targets[0].target.value
        if self.funcs:
            self._local(target, node.value)
            if isinstance(node.value, (cst.BinaryOperation, cst.FormattedString, cst.Call)):
                tail = _key_tail(node.value)
                if tail is not None:
                    self.funcs[-1].key_locals[target] = tail
            if is_self(node.value):
                self.funcs[-1].self_aliases.add(target)
        elif not self.classes:
            value = node.value
            if isinstance(value, cst.Call) and dotted(value.func) in ("partial", "functools.partial") and value.args:
                value = value.args[0].value
            name = dotted(value)
            if name:
                self.assignments.append((target, name))
            else:
                table = _class_table(value)
                if table:
                    self.class_tables.append((target, table))


_FILLS = frozenset({"append", "extend", "insert"})
_ARG_TEXT = 100  # characters of an argument's source kept in `Write.call`
_VALUE_TEXT = 200  # and of a value kept in `Write.value`
_VALUE_NODES = (
    cst.Name,
    cst.Attribute,
    cst.Integer,
    cst.Float,
    cst.SimpleString,
    cst.Comparison,
    cst.BooleanOperation,
    cst.UnaryOperation,
    cst.IfExp,
    cst.Tuple,
    cst.List,
)


def _evaluable(value: cst.BaseExpression) -> bool:
    """An expression over names, attributes and literals (no call but `getattr`, no subscript),
    short enough to keep as `Write.value`: what a configured tree can evaluate."""
    ok = True

    def enter(n: cst.CSTNode) -> bool:
        nonlocal ok
        getattr_call = isinstance(n, cst.Call) and isinstance(n.func, cst.Name) and n.func.value == "getattr"
        if isinstance(n, cst.BaseExpression) and not isinstance(n, _VALUE_NODES) and not getattr_call:
            ok = False
        return ok

    walk(value, enter)
    return ok


def _built_call(value: cst.BaseExpression | None, locals_: dict[str, cst.BaseExpression]) -> cst.Call | None:
    """The constructor call a written value makes: itself, a ternary's first branch, or the
    call a local was bound to (`layer = nn.Linear(..)`, `self.fc = layer`)."""
    for _ in range(4):
        if isinstance(value, cst.Name) and value.value in locals_:
            value = locals_[value.value]
        elif isinstance(value, cst.IfExp):
            value = value.body
        else:
            break
    if not isinstance(value, cst.Call):
        return None
    if (dotted(value.func) or "").rsplit(".", 1)[-1] in CONTAINERS:
        return _element_call(value)
    return value


def _note_conditions(
    conditions: dict[str, str], known: tuple[str, ...], ctors: tuple[str, ...], guard: str | None
) -> None:
    """Classes appended to a container under `guard` (None: on every path), into the conditions
    of the items appended so far: an item already appended on every path stays so, and one
    appended under two guards is there when either holds."""
    for c in ctors:
        if c in known and c not in conditions:
            continue  # already appended on every path
        if guard is None:
            conditions.pop(c, None)
        elif conditions.get(c, guard) != guard:
            conditions[c] = f"{conditions[c]} or {guard}"
        else:
            conditions[c] = guard


def _alias_test(value: cst.BaseExpression | None, locals_: dict[str, cst.BaseExpression]) -> cst.BaseExpression | None:
    """The test of `cls = A if test else B` when the value calls that local: `cls(..)`."""
    if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Name)):
        return None
    bound = locals_.get(value.func.value)
    for _ in range(4):  # `cls = other` chains, bounded as `_built_call` bounds them
        if not (isinstance(bound, cst.Name) and bound.value in locals_):
            break
        bound = locals_[bound.value]
    if isinstance(bound, cst.IfExp) and class_named(bound.body) and class_named(bound.orelse):
        return bound.test
    return None


def _element_call(container: cst.Call) -> cst.Call | None:
    """The one call that builds every item of a container (`nn.ModuleList([Block(dim=d) for _ in
    range(n)])`, `nn.Sequential(*[..])`): its arguments are each item's."""
    if len(container.args) != 1:
        return None
    arg = container.args[0].value
    if isinstance(arg, cst.ListComp | cst.GeneratorExp) and isinstance(arg.elt, cst.Call):
        return arg.elt
    return None


def _class_table(value: cst.BaseExpression) -> tuple[str, ...]:
    """The classes of a module-level dict, list or tuple whose every entry is a dotted name, or
    a tuple starting with one (`(ClippedGELU, {"min": -10})`, the class and its arguments)."""
    if isinstance(value, cst.Dict):
        entries = [e.value for e in value.elements if isinstance(e, cst.DictElement)]
        if len(entries) != len(value.elements):
            return ()
    elif isinstance(value, cst.List | cst.Tuple):
        entries = [e.value for e in value.elements if not isinstance(e, cst.StarredElement)]
        if len(entries) != len(value.elements):
            return ()
    else:
        return ()
    out: list[str] = []
    for entry in entries:
        if isinstance(entry, cst.Tuple) and entry.elements:
            entry = entry.elements[0].value
        name = dotted(entry)
        if not name or not name.rsplit(".", 1)[-1][:1].isupper():
            return ()  # a table of anything but classes (strings, numbers, functions)
        out.append(name)
    return tuple(dict.fromkeys(out))


def _empty_container(value: cst.BaseExpression | None) -> bool:
    """`[]`, `{}`, `list()`, `dict()`: a container that the method may fill afterwards."""
    if isinstance(value, cst.List | cst.Dict):
        return not value.elements
    return isinstance(value, cst.Call) and not value.args and dotted(value.func) in ("list", "dict")


_STATEMENT_BOUNDARY = (cst.IndentedBlock, cst.SimpleStatementSuite, cst.SimpleStatementLine, cst.FunctionDef)


def _stored_as(stack: list[cst.CSTNode], top: cst.CSTNode, i: int, in_lambda: bool) -> str | None:
    """`self.<attr>` whose mention `self.X` is stored in it to be called later: a bound method
    (`self.score_fn = self.dot_score if dot else self.mlp_score`) or a read inside a stored
    lambda (`self.act = lambda x: self.mlp(x)`). Not a call or an argument outside a lambda:
    `self.y = self.build()` runs `build` now, `self.y = f(self.x)` passes `x`.

    `in_lambda`: some lambda encloses the mention. A lambda's body is one expression, so such a
    lambda always lies within the mention's own statement."""
    child: cst.CSTNode = top
    for j in range(i, -1, -1):
        node = stack[j]
        t = type(node)
        if t is cst.Call and not in_lambda:
            return None  # most mentions: `self.fc(x)` runs now
        if t is cst.Assign:
            if node.value is not child or len(node.targets) != 1:  # type: ignore[attr-defined]
                return None
            target = node.targets[0].target  # type: ignore[attr-defined]
            if isinstance(target, cst.Attribute) and is_self(target.value):
                return target.attr.value
            return None
        if t in _STATEMENT_BOUNDARY:
            return None
        child = node
    return None


_BRANCHING = (cst.For, cst.While, cst.Try, cst.IfExp, cst.Match, cst.With, cst.CompFor)


def _no_items(value: cst.BaseExpression | None) -> bool:
    """`nn.ModuleList()`, `nn.ModuleList([])`, `nn.Sequential()`: a container filled later."""
    if not isinstance(value, cst.Call):
        return False
    if not value.args:
        return True
    only = value.args[0].value if len(value.args) == 1 and value.args[0].keyword is None else None
    return isinstance(only, cst.List | cst.Tuple) and not only.elements and not value.args[0].star


def _container(kind: str, ctor: str | None) -> bool:
    return kind == F.MODULE and ctor is not None and ctor.rsplit(".", 1)[-1] in CONTAINERS


def _stored_into(stack: Sequence[cst.CSTNode], i: int) -> str | None:
    """The attribute of self that the statement holding a passed value assigns:
    `self.output.weight = self.emb.weight` and `self.head = Head(self.emb)` give `output` and
    `head`. A weight shared only with siblings that are themselves dead is dead too."""
    for j in range(i, -1, -1):
        node = stack[j]
        if isinstance(node, cst.BaseSmallStatement | cst.BaseCompoundStatement | cst.Lambda | cst.FunctionDef):
            if not isinstance(node, cst.Assign) or len(node.targets) != 1:
                return None
            target: cst.BaseExpression = node.targets[0].target
            while isinstance(target, cst.Attribute | cst.Subscript) and not (
                isinstance(target, cst.Attribute) and is_self(target.value)
            ):
                target = target.value
            return target.attr.value if isinstance(target, cst.Attribute) and is_self(target.value) else None
    return None


def _mentions_attr_or_self(value: cst.BaseExpression, attr: str) -> bool:
    """The value reads `self.<attr>` or hands `self` on: what it replaces may live on inside it."""
    found = False

    def enter(n: cst.CSTNode) -> bool:
        nonlocal found
        if found:
            return False
        if isinstance(n, cst.Attribute) and is_self(n.value):
            found = n.attr.value == attr
            return False
        if is_self(n):
            found = True
        return not found

    walk(value, enter)
    return found


_VISIT: dict[type[cst.CSTNode], Callable[[Collector, Any], None]] = {
    cst.Attribute: Collector._attribute,
    cst.Call: Collector._call,
    cst.FunctionDef: Collector._enter_func,
    cst.ClassDef: Collector._enter_class,
    cst.If: Collector._visit_if,
    cst.Else: Collector._visit_else,
    **dict.fromkeys(_BRANCHING, Collector._visit_branching),
    cst.AnnAssign: Collector._visit_ann_assign,
    cst.AugAssign: Collector._visit_rebinding,
    cst.AsName: Collector._visit_rebinding,
    cst.NamedExpr: Collector._visit_rebinding,
    cst.Import: Collector._import,
    cst.ImportFrom: Collector._import,
    cst.Return: Collector._visit_return,
    cst.Assign: Collector._assign,
    cst.Subscript: Collector._visit_subscript,
    cst.Lambda: Collector._visit_lambda,
}
_LEAVE: dict[type[cst.CSTNode], Callable[[Collector, Any], None]] = {
    cst.FunctionDef: Collector._leave_func,
    cst.ClassDef: lambda c, _node: c._leave_class(),
    **dict.fromkeys((cst.If, *_BRANCHING), Collector._leave_branching),
    cst.Lambda: Collector._leave_lambda,
}


def collect(module: cst.Module, positions: Positions) -> Collector:
    """Run the collector over a module."""
    c = Collector(positions, module.code_for_node)
    walk(module, c.on_visit, c.on_leave)
    return c


def _first_item_only(stack: list[cst.CSTNode], i: int) -> bool:
    """`next(self.parameters())` (or `next(iter(...))`): one parameter, taken for its device or
    dtype, never a walk over every weight, so it cannot consume a weight by name."""
    j = i
    if j < 2 or not isinstance(stack[j], cst.Call):
        return False
    if (  # next(p.device for p in self.parameters())
        j >= 4
        and isinstance(stack[j - 1], cst.CompFor)
        and stack[j - 1].iter is stack[j]  # type: ignore[attr-defined]
        and isinstance(stack[j - 2], cst.GeneratorExp)
        and stack[j - 2].for_in is stack[j - 1]  # type: ignore[attr-defined]
        and isinstance(stack[j - 3], cst.Arg)
        and isinstance(stack[j - 4], cst.Call)
        and dotted(stack[j - 4].func) == "next"  # type: ignore[attr-defined]
    ):
        return True
    while j >= 2 and isinstance(stack[j - 1], cst.Arg) and isinstance(stack[j - 2], cst.Call):
        callee = dotted(stack[j - 2].func)  # type: ignore[attr-defined]
        if callee == "next":
            return True
        if callee != "iter":
            return False
        j -= 2
    return False


def _loop_literals(stack: list[cst.CSTNode], expr: cst.BaseExpression) -> tuple[str, ...] | None:
    """The names a loop variable takes when it runs over a literal list of strings.

    `for name in ("encoder", "model"): getattr(self, name)` reads two known attributes, not
    any attribute: transformers' `get_encoder` and peft's adapter loops are written this way.
    """
    if not isinstance(expr, cst.Name):
        return None
    for node in reversed(stack):
        loops: list[cst.For | cst.CompFor] = []
        if isinstance(node, cst.For):
            loops.append(node)
        elif isinstance(node, (cst.ListComp, cst.GeneratorExp, cst.SetComp, cst.DictComp)):
            comp: cst.CompFor | None = node.for_in
            while comp is not None:
                loops.append(comp)
                comp = comp.inner_for_in
        for loop in loops:
            if isinstance(loop.target, cst.Name) and loop.target.value == expr.value:
                return _literal_strings(loop.iter)
        if isinstance(node, (cst.FunctionDef, cst.Lambda)):
            return None
    return None


def _literal_strings(node: cst.BaseExpression) -> tuple[str, ...] | None:
    if not isinstance(node, (cst.List, cst.Tuple, cst.Set)) or not node.elements:
        return None
    out = []
    for e in node.elements:
        name = None if isinstance(e, cst.StarredElement) else string_name(e.value)
        if name is None or "*" in name:
            return None
        out.append(name.split(".", 1)[0])
    return tuple(out)


def _init_call(
    method: str, target: str, skip: bool, args: Sequence[cst.Arg], call: tuple[tuple[str, str], ...] = ()
) -> F.InitCall:
    pos: list[str] = []
    kw: list[tuple[str, str]] = []
    star = False
    for a in args:
        if a.star:
            star = True
            continue
        text = _literal(a.value)
        if a.keyword is not None:
            if text is not None:
                kw.append((a.keyword.value, text))
        elif not star:
            pos.append(text or "")
    named = tuple(a.keyword.value for a in args if a.keyword is not None)
    return F.InitCall(method, target, skip, tuple(pos), tuple(kw), star, named, call)


def _defaults(node: cst.FunctionDef) -> tuple[tuple[str, str], ...]:
    p = node.params
    out = []
    for x in (*p.posonly_params, *p.params, *p.kwonly_params):
        text = _literal(x.default) if x.default is not None else None
        if text is not None:
            out.append((x.name.value, text))
    return tuple(out)


def _positional_params(node: cst.FunctionDef) -> tuple[str, ...]:
    """The parameters a call may pass by position, in order, then `*name` for a star
    parameter: what a configured tree binds a constructor call's arguments to."""
    p = node.params
    out = [x.name.value for x in (*p.posonly_params, *p.params)]
    if isinstance(p.star_arg, cst.Param):
        out.append("*" + p.star_arg.name.value)
    if p.star_kwarg is not None:
        out.append("**" + p.star_kwarg.name.value)
    return tuple(out)


def _class_defaults(node: cst.FunctionDef) -> tuple[tuple[str, str], ...]:
    """Parameters whose default names a class (`block_fn=Block`, `norm_layer=nn.LayerNorm`):
    what `block_fn(dim)` builds when the caller passes nothing."""
    p = node.params
    out = []
    for x in (*p.posonly_params, *p.params, *p.kwonly_params):
        name = class_named(x.default) if x.default is not None else None  # `norm_layer=partial(nn.LayerNorm, ..)` too
        if name and name.rsplit(".", 1)[-1][:1].isupper() and name not in ("None", "True", "False"):
            out.append((x.name.value, name))
    return tuple(out)


def _literal(node: cst.BaseExpression) -> str | None:
    """The source of a literal constant argument (`0`, `False`, `None`, `"relu"`, `-1`)."""
    if isinstance(node, cst.Name) and node.value in ("None", "True", "False"):
        return node.value
    if isinstance(node, (cst.Integer, cst.Float, cst.SimpleString)):
        return node.value
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = _literal(node.expression)
        return f"-{inner}" if inner is not None else None
    return None


def _key_tail(node: cst.BaseExpression) -> str | None:
    """The last dotted segment of a key built from literals: `prefix + "version"`,
    `f"{name}.version"`, `"{}.version".format(name)`, `"encoder.version"` -> "version"."""
    text: str | None = None
    if isinstance(node, cst.SimpleString):
        text = string_name(node)
    elif isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        return _key_tail(node.right)
    elif isinstance(node, cst.FormattedString) and node.parts:
        last = node.parts[-1]
        text = last.value if isinstance(last, cst.FormattedStringText) else None
    elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "format":
        inner = node.func.value
        text = string_name(inner) if isinstance(inner, cst.SimpleString) else None
        text = text.replace("{}", "") if text is not None else None
    if not text:
        return None
    tail = text.rsplit(".", 1)[-1]
    return tail if tail.isidentifier() else None


def _attr_default(m: _Func | None, expr: cst.BaseExpression) -> tuple[str, ...] | None:
    """`name = getattr(self, "_input_embed_layer", "embed_tokens")` then `getattr(self, name)`:
    a name configured by a class attribute with a literal default, not any attribute."""
    if m is None or not isinstance(expr, cst.Name):
        return None
    value = m.local_values.get(expr.value)
    if not (isinstance(value, cst.Call) and dotted(value.func) == "getattr" and len(value.args) == 3):
        return None
    if not is_self(value.args[0].value) or string_name(value.args[1].value) is None:
        return None
    default = string_name(value.args[2].value)
    return (default,) if default and "*" not in default else None


def _mentions_self(node: cst.CSTNode) -> bool:
    """Whether a string literal inside the expression mentions `self`."""
    found = False

    def enter(n: cst.CSTNode) -> bool:
        nonlocal found
        if isinstance(n, cst.SimpleString | cst.FormattedStringText) and "self" in n.value:
            found = True
        return not found

    walk(node, enter)
    return found


def _boolean_test(value: cst.BaseExpression | None) -> bool:
    """A boolean built from names and literals only (`in_ch != out_ch or stride != 1`): what a
    derived flag is. Calls, attributes and subscripts make it something the settings do not fix."""
    if not isinstance(value, cst.Comparison | cst.BooleanOperation | cst.UnaryOperation):
        return False
    if isinstance(value, cst.UnaryOperation) and not isinstance(value.operator, cst.Not):
        return False

    def plain(node: cst.BaseExpression) -> bool:
        if isinstance(node, cst.Name | cst.Integer | cst.Float | cst.SimpleString):
            return True
        if isinstance(node, cst.Comparison):
            return plain(node.left) and all(plain(c.comparator) for c in node.comparisons)
        if isinstance(node, cst.BooleanOperation):
            return plain(node.left) and plain(node.right)
        if isinstance(node, cst.UnaryOperation):
            return isinstance(node.operator, cst.Not) and plain(node.expression)
        return False

    return plain(value)


def _by_position(call: cst.Call) -> int:
    """The arguments a call writes out by position (not `*args`, not keywords)."""
    return sum(1 for a in call.args if a.keyword is None and not a.star)


def _call_shape(call: cst.Call) -> tuple[str, ...]:
    """`self.block(x, t=t)` -> ("1", "t"): how many positional arguments, which keywords."""
    keywords = tuple(a.keyword.value for a in call.args if a.keyword is not None)
    star = ("*",) if any(a.star for a in call.args) else ()
    return (str(_by_position(call)), *keywords, *star)


def _positional(call: cst.Call) -> int:
    """How many arguments a call passes by position; -1 when a `*args` may pass any number."""
    return -1 if any(a.star == "*" for a in call.args) else _by_position(call)
