"""deadweight's built-in rules: one rule per module, discovered by `deadweight.rules.registry`."""
