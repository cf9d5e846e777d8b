"""DW001: a suppression comment that no longer suppresses anything (ruff's RUF100, for deadweight)."""

from __future__ import annotations

from collections.abc import Iterable

from deadweight.findings import Finding
from deadweight.rules.base import Rule
from deadweight.rules.context import Context


class UnusedSuppression(Rule):
    """Produced by the engine's filtering step, not by `check()`.

    Whether a comment is stale is only known after every other rule has reported and the
    comments have been matched against those findings (`deadweight.filter.suppressions.apply_suppressions`);
    this class carries the code, the documentation and the examples, and lets `--select`,
    `--ignore` and `per-file-ignores` switch the report on and off like any other rule.
    """

    code = "DW001"
    name = "unused-suppression"
    summary = "A `# deadweight: ignore[...]` or `# noqa: DWxxx` comment that suppresses no finding"
    rationale = (
        "A suppression outlives the finding it silenced: the weight gets used, renamed or "
        "deleted, and the comment stays. A stale comment then hides the next real dead weight "
        "that appears on that line or in that class, without anyone reviewing it. Only codes of "
        "rules that ran are judged, so a `--select` run never calls other rules' comments stale."
    )
    fix = (
        "Delete the comment, or the codes in it that no longer match (keep the ones that do). "
        "A comment only changes what is reported, never the model, so checkpoints are unaffected."
    )
    severity = "warning"
    fix_availability = "always"
    fix_safety = (
        "Safe: removes only the stale or unknown codes (the whole directive when none is left, the line "
        "when the comment stood alone). Only deadweight reads these codes, so nothing but the report "
        "changes."
    )
    bad = (
        """
import torch.nn as nn

class MLP(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)  # deadweight: ignore[DW101]  # expect: DW001

    def forward(self, x):
        return self.fc(x)
""",
        """
import torch.nn as nn

class MLP(nn.Module):
    def __init__(self, dim, p=0.1):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.dropout = nn.Dropout(p)  # noqa: DW105, DW101  # expect: DW001

    def forward(self, x):
        return self.fc(x)
""",
    )
    fixed = (
        """
import torch.nn as nn

class MLP(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)

    def forward(self, x):
        return self.fc(x)
""",
        """
import torch.nn as nn

class MLP(nn.Module):
    def __init__(self, dim, p=0.1):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.dropout = nn.Dropout(p)  # noqa: DW105

    def forward(self, x):
        return self.fc(x)
""",
    )
    good = (
        """
import torch.nn as nn

class MLP(nn.Module):
    def __init__(self, dim, p=0.1):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.dropout = nn.Dropout(p)  # deadweight: ignore[DW105]

    def forward(self, x):
        return self.fc(x)
""",
        """
import torch.nn as nn

class MLP(nn.Module):  # deadweight: ignore[DW105]
    def __init__(self, dim, p=0.1):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.dropout = nn.Dropout(p)

    def forward(self, x):
        return self.fc(x)
""",
    )

    def check(self, ctx: Context) -> Iterable[Finding]:
        return ()
