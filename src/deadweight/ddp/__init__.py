"""DDP's language: reading its unused-parameter errors and mapping them back to source."""
