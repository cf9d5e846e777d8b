"""DW002: a `# deadweight:` directive that cannot be read, so it suppresses nothing."""

from __future__ import annotations

from collections.abc import Iterable

from deadweight.findings import Finding
from deadweight.rules.base import Rule
from deadweight.rules.context import Context


class InvalidSuppression(Rule):
    """Produced by the engine's filtering step from the comments extraction read, not by `check()`.

    Reading a typo as a bare `ignore` would silence every rule on the line, which is the
    opposite of what its author asked for; reading it as nothing without a word would leave
    the finding it was meant for reported with no explanation. So the comment is reported.
    """

    code = "DW002"
    name = "invalid-suppression"
    summary = "A `# deadweight:` comment that cannot be read (`ignore(DW101)`, `ignore[]`, an unknown directive)"
    rationale = (
        "A suppression with a typo suppresses nothing: the finding it was written for is still "
        "reported, and the comment looks as if it should have worked. deadweight reads "
        "`# deadweight: ignore`, `ignore[CODES]`, `ignore-file` and `ignore-file[CODES]` from "
        "real comments only (the same text in a string is not a comment), and reports anything "
        "else after `# deadweight:` instead of guessing what it meant."
    )
    fix = (
        "Write the codes in square brackets, comma-separated (`# deadweight: ignore[DW101, DW105]`), "
        "or a bare `# deadweight: ignore` to silence every rule on the line. A comment only "
        "changes what is reported, never the model, so checkpoints are unaffected."
    )
    severity = "error"
    fix_availability = "none"
    fix_safety = "No automatic fix: deadweight cannot know which codes the comment meant to name."
    bad = (
        """
import torch.nn as nn

class MLP(nn.Module):
    def __init__(self, dim, p=0.1):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.dropout = nn.Dropout(p)  # deadweight: ignore(DW105)  # expect: DW002

    def forward(self, x):
        return self.fc(x)
""",
        """
import torch.nn as nn

class MLP(nn.Module):  # deadweight: ignore[]  # expect: DW002
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)

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
        self.dropout = nn.Dropout(p)  # deadweight: ignore[DW105]  kept for old configs

    def forward(self, x):
        return self.fc(x)
""",
        '''
# deadweight: ignore-file[DW105]
import torch.nn as nn

class MLP(nn.Module):
    """Silence a line with `# deadweight: ignore(DW101)`: text in a docstring is no comment."""

    def __init__(self, dim, p=0.1):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.dropout = nn.Dropout(p)

    def forward(self, x):
        return self.fc(x)
''',
    )

    def check(self, ctx: Context) -> Iterable[Finding]:
        return ()
