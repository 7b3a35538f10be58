"""Train a small CNN on textures/ (folder per class), measure it on the held-out images, and
save it as TorchScript (model.pt) with its labels (labels.txt), ready for `modelport convert`.

Images are prepared exactly as the deployed classifier prepares them (shorter side to
size / 0.875, centre crop, ImageNet mean and std), so what is measured here is what is served.
"""

import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

SIZE = 64  # the model's input: 1 x 3 x 64 x 64
MEAN, STD = np.float32([0.485, 0.456, 0.406]), np.float32([0.229, 0.224, 0.225])
torch.manual_seed(0)


def prepare(path):
    """A file as the server will see it: RGB, resized, centre-cropped, normalised, CHW."""
    image = Image.open(path).convert("RGB")
    scale = SIZE / 0.875 / min(image.size)
    w, h = max(SIZE, round(image.width * scale)), max(SIZE, round(image.height * scale))
    left, top = (w - SIZE) // 2, (h - SIZE) // 2
    image = image.resize((w, h), Image.BILINEAR).crop((left, top, left + SIZE, top + SIZE))
    return ((np.asarray(image, np.float32) / 255 - MEAN) / STD).transpose(2, 0, 1)


def load(split, labels):
    files = [
        (f, i)
        for i, label in enumerate(labels)
        for f in sorted(Path("textures", split, label).glob("*.png"))
    ]
    return torch.tensor(np.stack([prepare(f) for f, _ in files])), torch.tensor(
        [i for _, i in files]
    )


labels = sorted(p.name for p in Path("textures/train").iterdir())  # the folder names
x_train, y_train = load("train", labels)
x_valid, y_valid = load("valid", labels)


def block(c_in, c_out, kernel=3, stride=1):
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel, stride, padding=kernel // 2),
        nn.BatchNorm2d(c_out),
        nn.ReLU(),
        nn.MaxPool2d(2),
    )


model = nn.Sequential(  # 64 -> 16 -> 8 -> 4 pixels, then one number per channel
    block(3, 16, kernel=5, stride=2),
    block(16, 32),
    block(32, 64),
    nn.AdaptiveAvgPool2d(1),
    nn.Flatten(),
    nn.Linear(64, len(labels)),
)
EPOCHS, BATCHES = 6, (len(x_train) + 31) // 32
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, 1e-2, total_steps=EPOCHS * BATCHES)
for epoch in range(EPOCHS):
    model.train()
    for batch in torch.randperm(len(x_train)).split(32):
        images = x_train[batch]
        flip = torch.rand(len(batch)) < 0.5  # and upside down, half the time
        images[flip] = images[flip].flip(2)
        loss = nn.functional.cross_entropy(model(images), y_train[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
    model.eval()
    with torch.no_grad():
        accuracy = (model(x_valid).argmax(1) == y_valid).float().mean().item()
    print(f"epoch {epoch}  train loss {loss.item():.3f}  held-out accuracy {accuracy:.2f}")
print(f"held-out accuracy: {accuracy:.2f} ({len(y_valid)} images the model never saw)")

with warnings.catch_warnings():  # TorchScript is deprecated on recent torch; it still works
    warnings.simplefilter("ignore")
    torch.jit.trace(model, x_valid[:1]).save("model.pt")
Path("labels.txt").write_text("".join(f"{label}\n" for label in labels))
print(f"saved model.pt and labels.txt ({', '.join(labels)})")
