"""The rule API: one class per rule, with its documentation and its examples.

A rule declares what it is (code, name, summary, rationale, fix advice) and shows it (bad and
good examples). `deadweight explain` renders the same fields and the test suite runs every
example, so a rule cannot ship undocumented or untested. Rules judge the linked project model,
never a syntax tree: extraction already turned each file into facts, which is what makes a
cached run fast.

Example convention: each example is one or more files of Python source. A line
`# file: pkg/name.py` starts a new file (the default name is `example.py`). In a bad example,
every line on which the rule must report ends with `# expect: DWxxx`; in a good example the
rule must report nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from deadweight.extract.facts import Span
from deadweight.findings import Confidence, Finding, Related

if TYPE_CHECKING:
    from deadweight.model.project import Weight
    from deadweight.rules.context import Context


class Rule:
    code: ClassVar[str]
    name: ClassVar[str]  # kebab-case, stable
    summary: ClassVar[str]  # one line, shown by `deadweight rules`
    rationale: ClassVar[str]  # why it matters for training and checkpoints
    fix: ClassVar[str]  # how to fix, including how to keep old checkpoints loading
    severity: ClassVar[str] = "warning"
    preview: ClassVar[bool] = False  # preview rules run only when selected explicitly
    # Whether `check --fix` can fix the findings ("always", "sometimes" or "none"), and why the
    # fix is safe or unsafe, or why there is none (checkpoint keys, random-number stream, device
    # moves): `deadweight explain` prints it under "Fix safety".
    fix_availability: ClassVar[str] = "none"
    fix_applicability: ClassVar[str] = "safe"  # "unsafe": applied only with --unsafe-fixes
    fix_safety: ClassVar[str] = "No automatic fix."
    fixed: ClassVar[tuple[str | None, ...]] = ()
    # Codes of findings about the same weight that this rule's finding is folded into when both
    # are reported: one defect, one finding that carries both facts (see `fold`).
    folds_into: ClassVar[frozenset[str]] = (
        frozenset()
    )  # each bad example after `--fix --unsafe-fixes` (None: unchanged)
    bad: ClassVar[tuple[str, ...]] = ()
    good: ClassVar[tuple[str, ...]] = ()

    def check(self, ctx: Context) -> Iterable[Finding]:
        raise NotImplementedError

    @classmethod
    def fold(cls, mine: Finding, target: Finding) -> Finding:
        """`target` (a finding of a code in `folds_into`, same weight and line) with this rule's
        facts added to its message and its related locations."""
        related = tuple(dict.fromkeys((*target.related, *mine.related)))
        return replace(target, message=cls.folded_message(mine, target), related=related)

    @classmethod
    def folded_message(cls, mine: Finding, target: Finding) -> str:
        """The folded finding's message; rules that fold say it in their own words."""
        return f"{target.message}; {mine.message} ({mine.code})"

    @classmethod
    def docs_page(cls) -> str:
        """Where the rule's page is: `deadweight explain` prints it, and docs/rules.md in the
        repository holds every page (there is no hosted documentation to link to)."""
        anchor = f"{cls.code} {cls.name}".lower().replace(" ", "-")
        return f"`deadweight explain {cls.code}`, or docs/rules.md#{anchor} in deadweight's repository"

    def finding(
        self,
        weight: Weight,
        message: str,
        *,
        confidence: Confidence,
        class_name: str | None = None,
        related: Iterable[Related] = (),
        code: str | None = None,
    ) -> Finding:
        """A finding located at the weight's definition (the line a maintainer must edit)."""
        return self.finding_at(
            weight.path,
            weight.write.span,
            class_name or weight.owner,
            weight.name,
            message,
            confidence=confidence,
            defined_in=weight.owner,
            related=related,
            code=code,
        )

    def finding_at(
        self,
        path: str,
        span: Span,
        class_name: str,
        attribute: str,
        message: str,
        *,
        confidence: Confidence,
        defined_in: str | None = None,
        related: Iterable[Related] = (),
        code: str | None = None,
    ) -> Finding:
        """A finding at any span (a call, a read, a comment), for rules not anchored at a weight."""
        return Finding(
            code=code or self.code,
            rule=self.name,
            severity=self.severity,
            confidence=confidence,
            message=message,
            path=path,
            line=span.line,
            column=span.column,
            end_line=span.end_line,
            end_column=span.end_column,
            class_name=class_name,
            attribute=attribute,
            defined_in=defined_in or class_name,
            related=tuple(related),
        ).with_fingerprint()
