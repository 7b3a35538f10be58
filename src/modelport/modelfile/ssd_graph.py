"""The text graph cv2.dnn needs to run a TF Object Detection API SSD frozen graph (``.pb``).

``modelport deploy frozen_inference_graph.pb --task object-detection`` without ``--config``
calls :func:`text_graph`. The TF pre/post-processing (TensorArray loops, anchor generation,
NMS) is cut out and replaced by OpenCV's Flatten, PriorBox and DetectionOutput layers, as
OpenCV's ``samples/dnn/tf_text_graph_ssd.py`` does (a condensed re-implementation that reads
what it can from the graph instead of a ``pipeline.config``). The graph's own ``x * 2/255 - 1``
is kept, so the input blob is raw 0..255 RGB. Weights stay in the ``.pb``: cv2 reads every
Const by name from there.

Read from the graph: the number of classes (background included) and of anchors per layer
(from the predictor convolutions' shapes) and the score conversion (Sigmoid). Assumed, and
checked where the graph shows it: the default ``ssd_anchor_generator`` (6 layers, scales 0.2 to
0.95, aspect ratios 1, 2, 0.5, 3, 1/3, 3 boxes in the lowest layer) and a square input of
``size`` pixels (300 unless told). Anything else is refused with a message asking for
``--config`` (made with OpenCV's script from the model's ``pipeline.config``).
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from math import sqrt
from pathlib import Path

from modelport.errors import InvalidInput

MIN_SCALE, MAX_SCALE, NUM_LAYERS = 0.2, 0.95, 6
ASPECT_RATIOS = [1.0, 2.0, 0.5, 3.0, 0.3333]
ANCHORS = [3, 6, 6, 6, 6, 6]  # per layer: reduce_boxes_in_lowest_layer, then 5 ratios + 1
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
NEEDED = ("image_tensor", "Preprocessor/mul", "Preprocessor/sub")
ASK = "pass --config (OpenCV's samples/dnn/tf_text_graph_ssd.py makes one from pipeline.config)"


@dataclass(frozen=True, slots=True)
class SsdGraph:
    text: str  # the .pbtxt
    num_classes: int  # DetectionOutput's classes, background (0) included
    size: int  # the square input, in pixels


class Node:
    def __init__(self, name: str, op: str, inputs: list[str], attrs: list[tuple[str, str]]):
        self.name, self.op, self.inputs, self.attrs = name, op, inputs, attrs

    def text(self) -> str:
        lines = ["node {", f'  name: "{self.name}"', f'  op: "{self.op}"']
        lines += [f'  input: "{i}"' for i in self.inputs]
        for key, value in self.attrs:
            lines += ["  attr {", f'    key: "{key}"', "    value {", value, "    }", "  }"]
        return "\n".join([*lines, "}"]) + "\n"

    def dims(self) -> list[int]:
        """A Const's shape (cv2.dnn.writeTextGraph keeps shapes, drops big values)."""
        value = dict(self.attrs).get("value", "")
        shape = re.search(r"tensor_shape \{(.*?)\n        \}", value, re.S)
        return [int(d) for d in re.findall(r"size: (\d+)", shape[1])] if shape else []


def parse(text: str) -> list[Node]:
    """The top-level node blocks of a text graph written by cv2.dnn.writeTextGraph."""
    nodes = []
    attr = re.compile(
        r'^  attr \{\n    key: "([^"]*)"\n    value \{\n(.*?)\n    \}\n  \}', re.M | re.S
    )
    for block in re.split(r"^node \{\n", text, flags=re.M)[1:]:
        name = re.search(r'^  name: "([^"]*)"', block, re.M)
        op = re.search(r'^  op: "([^"]*)"', block, re.M)
        if name is None or op is None:
            continue
        inputs = re.findall(r'^  input: "([^"]*)"', block, re.M)
        attrs = [(m[1], m[2]) for m in attr.finditer(block)]
        nodes.append(Node(name[1], op[1], inputs, attrs))
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


def read_graph(pb: Path) -> list[Node]:
    try:
        import cv2
    except ImportError:
        raise InvalidInput(
            f"{pb.name}: generating its text graph needs OpenCV (pip install"
            f" 'opencv-python-headless<5'), or pass --config"
        ) from None
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.pbtxt"
        try:
            cv2.dnn.writeTextGraph(str(pb), str(raw))
        except cv2.error:
            raise InvalidInput(f"{pb.name} is not a TensorFlow frozen graph") from None
        return parse(raw.read_text(encoding="utf-8"))


def head(nodes: list[Node], name: str) -> int:
    """The number of classes (background included) of the SSD in ``nodes``."""
    by_name = {n.name: n for n in nodes}
    missing = [n for n in NEEDED if n not in by_name]
    if missing:
        raise InvalidInput(f"{name}: not a TF Object Detection API SSD (no {missing[0]}); {ASK}")
    scores = by_name.get("Postprocessor/convert_scores")
    if scores is not None and scores.op != "Sigmoid":
        raise InvalidInput(f"{name}: scores go through {scores.op}, not Sigmoid; {ASK}")
    anchors, classes = [], set()
    for i in range(NUM_LAYERS + 1):
        box = by_name.get(f"BoxPredictor_{i}/BoxEncodingPredictor/weights")
        cls = by_name.get(f"BoxPredictor_{i}/ClassPredictor/weights")
        if box is None or cls is None or not box.dims() or not cls.dims():
            break
        anchors.append(box.dims()[-1] // 4)
        classes.add(cls.dims()[-1] // max(1, anchors[-1]))
    if anchors != ANCHORS or len(classes) != 1:
        raise InvalidInput(
            f"{name}: the box predictors ({anchors} anchors per layer) are not the TF Object"
            f" Detection API's default SSD anchors ({ANCHORS}); {ASK}"
        )
    return classes.pop()


def text_graph(pb: Path, size: int = 300) -> SsdGraph:
    """The cv2.dnn text graph for the TF-OD-API SSD ``pb`` with a ``size`` x ``size`` input."""
    nodes = read_graph(pb)
    num_classes = head(nodes, pb.name)

    # 1. resolve Identity chains, drop Consts (cv2 reads them from the .pb) and unused ops
    identities = {n.name: n.inputs[0] for n in nodes if n.op == "Identity" and n.inputs}

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
    extra = [Node("concat/axis_flatten", "Const", [], [("value", tensor([-1]))])]
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
    priors = prior_boxes(size)
    extra += priors
    joined = [p.name for p in priors] + ["concat/axis_flatten"]
    extra.append(Node("PriorBox/concat", "ConcatV2", joined, []))
    extra += detection_output(num_classes)

    # 4. keep only what feeds detection_out, in topological order
    return SsdGraph(ordered(kept + extra), num_classes, size)


def prior_boxes(size: int) -> list[Node]:
    """The default ssd_anchor_generator's anchors as one PriorBox layer per feature map."""
    span = MAX_SCALE - MIN_SCALE
    scales = [MIN_SCALE + span * i / (NUM_LAYERS - 1) for i in range(NUM_LAYERS)] + [1.0]
    out = []
    for i in range(NUM_LAYERS):
        if i == 0:  # reduce_boxes_in_lowest_layer: 3 boxes
            widths = [0.1, MIN_SCALE * sqrt(2.0), MIN_SCALE * sqrt(0.5)]
            heights = [0.1, MIN_SCALE / sqrt(2.0), MIN_SCALE / sqrt(0.5)]
        else:
            between = sqrt(scales[i] * scales[i + 1])
            widths = [scales[i] * sqrt(ar) for ar in ASPECT_RATIOS] + [between]
            heights = [scales[i] / sqrt(ar) for ar in ASPECT_RATIOS] + [between]
        attrs = [
            ("clip", scalar("b", False)),
            ("flip", scalar("b", False)),
            ("height", tensor([h * size for h in heights])),
            ("variance", tensor([0.1, 0.1, 0.2, 0.2])),
            ("width", tensor([w * size for w in widths])),
        ]
        source = f"BoxPredictor_{i}/BoxEncodingPredictor/BiasAdd"
        out.append(Node(f"PriorBox_{i}", "PriorBox", [source, "image_tensor"], attrs))
    return out


def detection_output(num_classes: int) -> list[Node]:
    """Sigmoid scores per class, then DetectionOutput (NMS; rows of image, class, score, box)."""
    shape = tensor([0, -1, num_classes])
    scores, shape_name = "ClassPredictor/concat/sigmoid", "ClassPredictor/concat3d/shape"
    return [
        Node(shape_name, "Const", [], [("value", shape)]),
        Node("ClassPredictor/concat3d", "Reshape", ["ClassPredictor/concat", shape_name], []),
        Node(scores, "Sigmoid", ["ClassPredictor/concat3d"], []),
        Node(scores + "/Flatten", "Flatten", [scores], []),
        Node(
            "detection_out",
            "DetectionOutput",
            ["BoxEncodingPredictor/concat", scores + "/Flatten", "PriorBox/concat"],
            [
                ("background_label_id", scalar("i", 0)),
                ("code_type", scalar("s", "CENTER_SIZE")),
                ("confidence_threshold", scalar("f", 0.01)),
                ("keep_top_k", scalar("i", 100)),
                ("nms_threshold", scalar("f", 0.6)),
                ("num_classes", scalar("i", num_classes)),
                ("share_location", scalar("b", True)),
                ("top_k", scalar("i", 100)),
            ],
        ),
    ]


def ordered(nodes: list[Node]) -> str:
    """The nodes that feed ``detection_out``, inputs first, as text."""
    graph = {n.name: n for n in nodes}
    needed: set[str] = set()
    stack = ["detection_out"]
    while stack:
        name = stack.pop()
        if name in graph and name not in needed:
            needed.add(name)
            stack.extend(graph[name].inputs)
    out: list[Node] = []
    done: set[str] = set()

    def visit(root: str) -> None:  # depth first, inputs before the node (no recursion)
        if root in done or root not in needed:
            return
        done.add(root)
        stack = [(root, iter(graph[root].inputs))]
        while stack:
            name, inputs = stack[-1]
            for i in inputs:
                if i not in done and i in needed:
                    done.add(i)
                    stack.append((i, iter(graph[i].inputs)))
                    break
            else:
                stack.pop()
                out.append(graph[name])

    visit("image_tensor")
    for node in nodes:
        visit(node.name)
    return "".join(n.text() for n in out)


def declared_classes(config: str) -> int | None:
    """``num_classes`` of the DetectionOutput in a TF text graph or a Caffe prototxt.

    >>> declared_classes('key: "num_classes"\\n    value {\\n      i: 2\\n')
    2
    >>> declared_classes("detection_output_param {\\n  num_classes: 21\\n")
    21
    """
    found = re.search(r'key: "num_classes"\s*value \{\s*i: (\d+)', config) or re.search(
        r"^\s*num_classes:\s*(\d+)", config, re.M
    )
    return int(found[1]) if found else None
