"""Lightning: the steps the trainer calls on a LightningModule."""

from deadweight.conventions._schema import Convention

CONVENTION = Convention(
    module_bases=frozenset(
        {
            "lightning.LightningModule",
            "lightning.pytorch.LightningModule",
            "pytorch_lightning.LightningModule",
            "pytorch_lightning.core.LightningModule",
            "pytorch_lightning.core.module.LightningModule",
        }
    ),
    entry_points=frozenset({"training_step", "validation_step", "test_step", "predict_step"}),
    optimizer_methods=frozenset({"configure_optimizers"}),
)
