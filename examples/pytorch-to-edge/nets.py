"""The two PyTorch models of this example. They live in a module of their own (not in the
script that saves them) so that a whole saved model, ``torch.save(model, path)``, loads
again anywhere this folder is: in ``modelport convert`` too."""

import torch
from torch import nn


class DivideByTwo(nn.Module):
    """The tutorial's test model: its output is its input divided by two."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x / 2


class DigitsCNN(nn.Module):
    """A small CNN for 16x16 RGB crops of handwritten digits: 10 scores out."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 8x8
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 4x4
            nn.Flatten(),
        )
        self.classify = nn.Linear(32 * 4 * 4, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classify(self.features(x))
