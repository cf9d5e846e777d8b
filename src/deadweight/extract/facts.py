"""The plain data that one file's extraction produces.

These records are the only thing that crosses the worker-process boundary and the only thing
the cache stores: the linker and every rule work from them, never from a syntax tree. That is
what lets a warm run re-parse nothing. Keep them small, immutable and free of libcst types.

They are immutable by convention, not `frozen`: a frozen dataclass's `__init__` assigns each
field through `object.__setattr__`, which made decoding cached facts 3.7x slower per object
(a warm transformers run builds ~670k of them). `unsafe_hash` keeps them hashable by value.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TypeVar

# How a weight is created (Write.kind).
PARAMETER = "parameter"  # nn.Parameter(...), register_parameter
BUFFER = "buffer"  # register_buffer
MODULE = "module"  # an instance of a (possibly) module class: nn.Linear(...), Block(...)
PLAIN_CONTAINER = "plain_container"  # [Block() ...], {"a": Block()}, (..): never registered
TENSOR = "tensor"  # torch.zeros(...) etc. assigned as a plain attribute
NONE = "none"  # self.x = None
OTHER = "other"  # anything else (ints, config, callables we cannot classify)

# How an attribute is read (Read.kind).
VALUE = "value"  # a real use: called, indexed, iterated, passed, returned, arithmetic...
META = "meta"  # .shape, .dtype, .size(), ...: inspects without using the value
NONE_TEST = "none_test"  # `self.x is None`
ASSERTED = "assert_test"  # a None or truth test inside `assert`: it decides nothing that runs
TRUTH = "truth_test"  # `if self.x:`: a None test for a module, a read of the value for a tensor
HASATTR = "hasattr"  # hasattr(self, "x")
INIT = "init"  # nn.init.*(self.x), self.x.data.copy_(...), self.x.weight.normal_()
PASSED = "passed"  # passed as an argument to a call: a use, and in __init__ a share with a child
KEEPALIVE = "keepalive"  # a term multiplied by zero: `0 * self.x.sum()`
DELETE = "delete"  # del self.x

# Path prefix of facts read from the analyzed project's environment (third-party bases):
# they inform the model and are never reported.
EXTERNAL_PREFIX = "<environment>/"


def is_external(path: str) -> bool:
    return path.startswith(EXTERNAL_PREFIX)


# Kinds that count as "used" for the liveness of a weight (only VALUE).
CONSUMING_KINDS = frozenset({VALUE})


@dataclass(slots=True, unsafe_hash=True)
class Span:
    """1-based line and column, end exclusive column; what editors and SARIF expect."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(slots=True, unsafe_hash=True)
class Write:
    """`self.<attr> = ...` (or register_*/add_module/setattr) inside a method."""

    attr: str
    method: str
    span: Span
    kind: str
    ctor: str | None = None  # the callee as written, dotted: "nn.Linear", "Block"
    # assign | register_parameter | register_buffer | add_module | setattr | annotation (`self.x: T`)
    via: str = "assign"
    conditional: bool = False  # inside an if/else, a ternary, a loop or a try
    condition: str | None = None  # source text of the innermost guard, if any
    resolved_condition: str | None = None  # the guard with fixed locals written in, when that differs
    elements: tuple[str, ...] = ()  # ctors inside containers: nn.ModuleList([Block()]) -> Block
    kwargs: tuple[tuple[str, str], ...] = ()  # literal keyword args of the ctor: (("affine", "False"),)
    before_super_init: bool = False  # assigned before super().__init__() in __init__
    statement: int = 0  # index of the top-level statement of the method that holds it
    source: str | None = None  # the local variable assigned (`self.Conv2d_0 = conv`): aliases share it
    no_args: bool = False  # the constructor is called with no arguments: `nn.ModuleList()`
    uses_previous: bool = False  # the value reads `self.<attr>` or passes `self`: `wrap(self.fc)`
    # `A(..) if test else B(..)`, two modules: `test` (fixed locals written in); `ctor` is built
    # when it holds, the first of `elements` otherwise
    choice: str | None = None
    # a container built in one expression: the class of each item in order, and the count as
    # source text (`nn.Sequential(a(), b())`: ("a", "b"), "2"; `[X() for _ in range(depth)]`: "depth")
    items: tuple[str, ...] = ()
    count: str | None = None
    # elements appended only under an `if` inside the container's method: (class, condition)
    element_conditions: tuple[tuple[str, str], ...] = ()
    # a module built by a helper call (`zero_module(nn.Conv2d(..))`, `_create_attn(attn_layer, ..)`):
    # what each positional argument holds, the class a call builds or the name passed ("" unknown)
    args: tuple[str, ...] = ()
    # `self.downsample = in_ch != out_ch or stride != 1` in `__init__`: the test a flag is derived
    # from, as source text (only comparisons, `and`/`or`/`not` over names and literals)
    derived: str | None = None
    # `self.pool, self.fc = create_classifier(..)`: this target's position in the tuple the call
    # returns (None when the value is not unpacked from one call)
    unpacked: int | None = None
    # a constructor call's positional argument count (-1 with `*args`: any parameter may be
    # passed), so that what a holder passes by position is known to be passed; None: not a call
    positional: int | None = None
    # every `if` (or ternary) this write sits under, outermost first, with the method's fixed
    # locals written in; "" for a level that is a loop, `try` or `with` (which decides nothing)
    guards: tuple[str, ...] = ()
    # the constructor call's arguments as (keyword, source), fixed locals written in: "" for a
    # positional one, "*" / "**" for an unpacked one; what the tree evaluates under a
    # configuration. For a container, the arguments of the one call that builds every item
    # (`nn.ModuleList([Block(dim=d) for _ in range(n)])`), if there is one
    call: tuple[tuple[str, str], ...] = ()
    # `self.use_cls = config.use_cls`: the value's source in `__init__` when it is an expression
    # over names, attributes and literals (fixed locals written in); None otherwise
    value: str | None = None


@dataclass(slots=True, unsafe_hash=True)
class Read:
    """A mention of `self.<chain...>` inside a method, with what the mention does."""

    chain: tuple[str, ...]  # ("embed", "pos") for self.embed.pos
    method: str  # enclosing method (nested functions and lambdas count for their method)
    span: Span
    kind: str
    guarded_by: str | None = None  # innermost `if`/ternary condition text around the read
    # for a value passed on in `self.<into>... = ...` (a tie, a child built with it): `into`
    into: str | None = None
    # `self.stages[1:]`, `self.layers[-1]`: the literal index or slice the read takes, canonical
    # (`1::`, `-1`); None for a read of the whole value or a subscript that is not a literal
    index: str | None = None
    # `self.block(x, t=t)`: a direct call's arguments, the positional count then each keyword
    # (`("1", "t")`), `*` for `*args`/`**kwargs`; None for any other read
    passes: tuple[str, ...] | None = None


@dataclass(slots=True, unsafe_hash=True)
class ParamRead:
    """A read through a parameter other than self (`attn.to_q` in a processor's __call__)."""

    param: str
    chain: tuple[str, ...]
    kind: str
    span: Span


@dataclass(slots=True, unsafe_hash=True)
class Call:
    """A call that passes `self` along: `fn(self, x)`, `self.processor(self, x)`."""

    callee: str  # dotted as written: "self.processor", "apply_rotary", "mod.fn"
    position: int  # index of `self` among the positional args, -1 for a keyword
    keyword: str | None
    span: Span


@dataclass(slots=True, unsafe_hash=True)
class InitCall:
    """A call that runs a base's constructor (or builder) on self, with its literal arguments.

    `super().__init__(dim, num_layers=0)` gives args ("",) and kwargs (("num_layers", "0"),):
    positional entries are the literal's source, or "" when the argument is not a literal.
    `target` is the class written in `super(Base, self)` or `Base.__init__(self)` ("" for a
    plain `super()`); `skip` marks the `super(Base, self)` form, which starts after Base.
    """

    method: str  # "__init__", or the builder called the same way
    target: str
    skip: bool
    args: tuple[str, ...]
    kwargs: tuple[tuple[str, str], ...]
    star: bool = False  # *args or **kwargs passed on: positions beyond them are unknown
    named: tuple[str, ...] = ()  # every keyword passed, literal or not
    call: tuple[tuple[str, str], ...] = ()  # every argument as `Write.call` spells them


@dataclass(slots=True, unsafe_hash=True)
class CallArg:
    """One argument of a call on self: `"pos_embed"` gives literal `'pos_embed'`;
    `Mixin(d, flag=True)` gives ctor `Mixin` and its keyword arguments as source."""

    keyword: str | None  # None for a positional argument
    literal: str | None = None
    ctor: str | None = None
    kwargs: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True, unsafe_hash=True)
class SelfCall:
    """`self.add_mixin("pos_embed", Mixin(...))`: a method called on self with a constructor
    call among its arguments (what a registering method such as SAT's `add_mixin` stores)."""

    method: str
    args: tuple[CallArg, ...]
    star: bool = False  # *args or **kwargs passed: positions beyond them are unknown


@dataclass(slots=True, unsafe_hash=True)
class Statement:
    """A forward-path statement fact that dataflow rules (DW4xx) judge."""

    kind: str  # "discarded_call" | "dead_store" | "clobber"
    chain: tuple[str, ...]  # the self.<chain> that was called / that computed the value
    name: str | None  # the variable stored to, for dead stores
    span: Span
    method: str


@dataclass(slots=True, unsafe_hash=True)
class MethodFacts:
    name: str
    span: Span
    params: tuple[str, ...]
    decorators: tuple[str, ...] = ()
    abstract: bool = False  # body is only `...`, `pass`, a docstring or `raise NotImplementedError`
    super_calls: tuple[str, ...] = ()  # names called as super().<name>(...)
    passes_self: tuple[Call, ...] = ()
    dynamic: tuple[str, ...] = ()  # reasons this method may reach any attribute by name
    dynamic_patterns: tuple[str, ...] = ()  # regexes of names reached via getattr(self, f"...")
    computed_writes: tuple[str, ...] = ()  # `self.add_module(str(i), m)`, `setattr(self, name, v)`
    annotations: tuple[tuple[str, tuple[str, ...]], ...] = ()  # param -> annotated class names
    param_reads: tuple[ParamRead, ...] = ()
    statements: tuple[Statement, ...] = ()
    # (statement index, attributes of self that the compound statement there assigns on every
    # path through it): `if c: self.emb = None` / `else: self.emb = Other()` replaces `emb`
    overwrites: tuple[tuple[int, tuple[str, ...]], ...] = ()
    calls_super_init_at: int | None = None  # statement index of super().__init__() if any
    init_calls: tuple[InitCall, ...] = ()  # super().__init__(...), Base.__init__(self, ...)
    defaults: tuple[tuple[str, str], ...] = ()  # parameter -> literal default (`add_bias_kv=False`)
    # the parameters a call may pass by position, in order, then `*args` / `**kwargs` if taken
    positional: tuple[str, ...] = ()
    # `__init__` only: each `self.<method>(..)` it calls, with every condition around the call
    # as `Write.guards` spells them: whether a builder method runs in a configuration
    self_call_guards: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # parameters the body binds again (`use_fc_norm = ... if use_fc_norm is None else ..`): what
    # a condition on one of them tests is not the argument, so a configured tree does not know it
    rebound: tuple[str, ...] = ()
    class_defaults: tuple[tuple[str, str], ...] = ()  # parameter -> a class default (`block_fn=Block`)
    key_reads: tuple[str, ...] = ()  # `state_dict[prefix + "version"]`: names read by checkpoint key
    returns_only_none: bool = False  # every return is bare / None and there is at least one
    returns_value: bool = False  # some `return <value>` (not None) in the method itself
    # callees whose results it returns (`return nn.Sequential(*layers)`); "None" for `return None`
    returns: tuple[str, ...] = ()
    return_types: tuple[str, ...] = ()  # what its return annotation names: `-> nn.Module`
    # `self.mixins[name] = new_mixin` with both its parameters: (attr, key param, value param)
    keyed_stores: tuple[tuple[str, str, str], ...] = ()
    self_calls: tuple[SelfCall, ...] = ()
    returns_params: tuple[str, ...] = ()  # parameters it returns as they are: `return module`
    tuple_returns: tuple[tuple[str, ...], ...] = ()  # `return pool, fc`: see FunctionFacts


@dataclass(slots=True, unsafe_hash=True)
class ClassFacts:
    name: str
    qualname: str  # Outer.Inner for nested classes
    span: Span
    bases: tuple[str, ...]  # dotted, as written: ("nn.Module",), ("base.Backbone",)
    methods: tuple[MethodFacts, ...] = ()
    writes: tuple[Write, ...] = ()
    reads: tuple[Read, ...] = ()
    class_attrs: tuple[tuple[str, str], ...] = ()  # class-level `name = <source>` (short)
    decorators: tuple[str, ...] = ()
    # `self.score_fn = self.dot_score`, `self.act = lambda x: self.mlp(x)`: (attribute, what
    # calling it runs or reads), so a call of `self.score_fn` reaches `dot_score`
    stored_calls: tuple[tuple[str, str], ...] = ()
    # commented-out lines in the class that mention `self.<attr>`: (attr, line, the code)
    commented: tuple[tuple[str, int, str], ...] = ()

    def method(self, name: str) -> MethodFacts | None:
        for m in self.methods:
            if m.name == name:
                return m
        return None


@dataclass(slots=True, unsafe_hash=True)
class Import:
    """One imported name. `import a.b as c` -> local "c", module "a.b", name None."""

    local: str
    module: str | None  # as written, without leading dots
    name: str | None  # None for `import x`
    level: int = 0  # leading dots of a relative import


@dataclass(slots=True, unsafe_hash=True)
class FunctionFacts:
    """A module-level function: callees that receive a module as their first arguments."""

    name: str
    span: Span
    params: tuple[str, ...]
    param_reads: tuple[ParamRead, ...] = ()
    inner_params: tuple[str, ...] = ()  # first parameters of nested wrappers (decorators)
    passes_self: tuple[Call, ...] = ()  # calls that pass a parameter along: helper(self, ...)
    annotations: tuple[tuple[str, tuple[str, ...]], ...] = ()  # param -> annotated class names
    key_reads: tuple[str, ...] = ()  # `state_dict[layer + ".counts"]` in a loading helper
    # callees whose results it returns (`return Wrapper(...)`); "None" for `return None`
    returns: tuple[str, ...] = ()
    return_types: tuple[str, ...] = ()  # what its return annotation names: `-> nn.Module`
    returns_params: tuple[str, ...] = ()  # parameters it returns as they are: `return module`
    # `return pool, fc`: for each tuple it returns, the callee that made each item ("" unknown)
    tuple_returns: tuple[tuple[str, ...], ...] = ()
    # `return attn_layer(dim, qkv_bias=qkv_bias, **kwargs)`: (callee, arguments as `Write.call`
    # spells them) of each call it returns, so a configured tree passes the helper's values on
    return_calls: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    positional: tuple[str, ...] = ()  # as `MethodFacts.positional`
    rebound: tuple[str, ...] = ()  # as `MethodFacts.rebound`
    defaults: tuple[tuple[str, str], ...] = ()  # as `MethodFacts.defaults`


@dataclass(frozen=True, slots=True)
class CtorArg:
    """`Model(transformer=t)` with `t = build_transformer()` or `t = Wrapper(...)`: what a
    constructor argument was produced by, so `self.transformer = transformer` gets a type."""

    callee: str  # the class called, as written: "SAM3SemanticModel"
    param: str | int  # keyword name, or position among the arguments
    producer: str  # the callee that made the value: "Wrapper", "build_transformer"


@dataclass(slots=True, frozen=True)
class Suppression:
    """One suppressing comment: `# deadweight: ignore[DW101]`, `# noqa: DW101`, `ignore-file`."""

    line: int
    column: int  # 1-based, where the directive starts
    end_column: int  # exclusive: the end of the comment
    codes: tuple[str, ...]  # as written, upper-cased; () = every rule
    whole_file: bool = False  # `# deadweight: ignore-file[...]`


@dataclass(slots=True, frozen=True)
class BadSuppression:
    """A `# deadweight:` directive that could not be read, so suppresses nothing (DW002)."""

    line: int
    column: int
    end_column: int
    reason: str


@dataclass(slots=True, unsafe_hash=True)
class FileFacts:
    path: str  # relative to the scan root, "/"-separated
    module: str  # dotted module name derived from the path
    imports: tuple[Import, ...] = ()
    classes: tuple[ClassFacts, ...] = ()
    functions: tuple[FunctionFacts, ...] = ()
    assignments: tuple[tuple[str, str], ...] = ()  # module-level `Alias = dotted.Name`
    # module-level tables of classes: `ACT2CLS = {"gelu": nn.GELU, "relu": (nn.ReLU, {...})}`
    # -> ("ACT2CLS", ("nn.GELU", "nn.ReLU")); a call of `ACT2CLS[name]()` builds one of them
    class_tables: tuple[tuple[str, tuple[str, ...]], ...] = ()
    external_reads: frozenset[tuple[str, str]] = frozenset()  # (attribute read on a non-self receiver, function)
    external_calls: frozenset[str] = frozenset()  # methods called on other objects: `model.decoder.step(x)`
    external_grabs: tuple[tuple[str, str], ...] = ()  # `self.flow = model.head.flow`: (name, where)
    ctor_args: tuple[CtorArg, ...] = ()
    suppressions: tuple[Suppression, ...] = ()
    bad_suppressions: tuple[BadSuppression, ...] = ()
    lines: int = 0


@dataclass(slots=True, unsafe_hash=True)
class FileError:
    """A file that could not be analyzed, and why. Never stops a run."""

    path: str
    reason: str


@dataclass(slots=True, unsafe_hash=True)
class ExtractResult:
    """What a worker returns for one file: facts or an error, never both."""

    path: str
    facts: FileFacts | None = None
    error: FileError | None = None


T = TypeVar("T")


def plain_repr(cls: type[T]) -> type[T]:
    """Give a dataclass the repr `dataclass` writes, without its recursion guard.

    Incremental runs digest facts by their repr (`rules.incremental`, `model.contributed`),
    ~350,000 objects on transformers, and the guard (a set of ids, per thread, around every
    call) took a third of that time. Facts hold plain data, never themselves, so it guards
    nothing here (nor in a model class built of facts, `model.reach.Use`). The function is
    generated as `dataclasses` generates its own, from field names only: the same text,
    faster."""
    names = [f.name for f in dataclasses.fields(cls) if f.repr]  # type: ignore[arg-type]
    body = ", ".join(f"{name}={{self.{name}!r}}" for name in names)
    namespace: dict[str, object] = {}
    exec(f"def __repr__(self):\n    return f'{cls.__qualname__}({body})'\n", namespace)
    cls.__repr__ = namespace["__repr__"]  # type: ignore[assignment]
    return cls


for _cls in list(globals().values()):
    if isinstance(_cls, type) and dataclasses.is_dataclass(_cls) and _cls.__module__ == __name__:
        plain_repr(_cls)
del _cls
