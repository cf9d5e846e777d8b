"""torchmetrics: a `Metric` is a module whose `forward` runs `update` and `compute`.

Read from torchmetrics' own code when it is installed in the analyzed environment; this table
says the same for when it is not (a metric's weights read only in `compute` are not dead).
"""

from deadweight.conventions._schema import Convention

_METRIC_STEPS = frozenset({"update", "compute"})

CONVENTION = Convention(
    module_bases=frozenset({"torchmetrics.Metric", "torchmetrics.metric.Metric"}),
    base_entry_points={
        "torchmetrics.Metric": _METRIC_STEPS,
        "torchmetrics.metric.Metric": _METRIC_STEPS,
    },
)
