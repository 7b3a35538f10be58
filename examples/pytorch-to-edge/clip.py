"""Film a short clip of held-out handwritten digits: clip.mp4 (10 digits, 8 frames each,
zooming and panning), truth.json (the digit on each frame) and check/ (PNG stills for
``modelport optimize --check``)."""

import json
from pathlib import Path

import cv2
from frames import SIZE, frame
from sklearn.datasets import load_digits

FPS, PER_DIGIT = 8, 8
digits = load_digits()
held_out = range(len(digits.images) - 10, len(digits.images))  # train.py never sees these

video = cv2.VideoWriter("clip.mp4", cv2.VideoWriter.fourcc(*"mp4v"), FPS, (SIZE, SIZE))
truth = []
for i in held_out:
    for t in range(PER_DIGIT):
        zoom, pan = 0.85 + 0.04 * t, 12 - 3 * t
        video.write(frame(digits.images[i], zoom, dx=pan, dy=-pan / 2))
        truth.append(int(digits.target[i]))
video.release()
Path("truth.json").write_text(json.dumps(truth))

Path("check").mkdir(exist_ok=True)
for i in range(len(digits.images) - 74, len(digits.images) - 10):
    cv2.imwrite(f"check/digit{i}.png", frame(digits.images[i]))
print(f"clip.mp4: {len(truth)} frames of {len(held_out)} digits, {SIZE}x{SIZE} at {FPS} fps")
