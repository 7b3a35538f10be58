"""Train DigitsCNN on scikit-learn's digits, rendered and preprocessed as the deployed model
will see them, in seconds on a CPU; save the whole model to digits_cnn.pt."""

import numpy as np
import torch
from frames import frame, preprocess
from nets import DigitsCNN
from sklearn.datasets import load_digits
from torch import nn

torch.manual_seed(0)
rng = np.random.default_rng(0)
digits = load_digits()
train = range(len(digits.images) - 74)  # the last 74 are clip.py's check/ and clip.mp4
x, y = [], []
for i in train:
    for _ in range(2):  # two random zooms and pans of each digit
        zoom, dx, dy = rng.uniform(0.8, 1.2), *rng.uniform(-14, 14, 2)
        x.append(preprocess(frame(digits.images[i], zoom, dx, dy)))
        y.append(digits.target[i])
x, y = torch.tensor(np.stack(x)), torch.tensor(np.array(y))

model = DigitsCNN()
optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
for epoch in range(5):
    order = torch.randperm(len(x))
    for start in range(0, len(x), 64):
        batch = order[start : start + 64]
        optimiser.zero_grad()
        loss = nn.functional.cross_entropy(model(x[batch]), y[batch])
        loss.backward()
        optimiser.step()
    print(f"epoch {epoch + 1}: loss {loss.item():.3f}")

torch.save(model.eval(), "digits_cnn.pt")
