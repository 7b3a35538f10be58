"""Save the tutorial's divide-by-two test model, whole, to divide.pt."""

import torch
from nets import DivideByTwo

torch.save(DivideByTwo(), "divide.pt")
