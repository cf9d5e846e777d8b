import torch.nn as nn


class Layer(nn.Module):
    """Found only through a path line of a .pth file."""
