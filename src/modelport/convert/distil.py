"""Distillation of a static INT8 model towards its float original (needs torch).

GPTQ (:mod:`modelport.convert.gptq`) fixes the weights' share of the quantisation error; what
is left is the activations', each rounded to 8 bits with one range per tensor, a little in
every layer. Here the QDQ model runs in torch as it runs in ONNX Runtime: every
QuantizeLinear is a fake quantisation with ONNX Runtime's zero point and a scale of its own
to learn (LSQ: gradients pass straight through the rounding inside the range, and the scale
learns where to trade clipping for finer steps), every int8 weight a float parameter
fake-quantised per channel with its own scales. Adam then moves the weights (in units of
their own int8 steps, so every channel moves at the same pace whatever its scale), the
biases and the activation scales (in log units) so that the quantised model's class
probabilities approach the float model's (KL divergence) on random crops and mirror images
of the calibration images. No labels are needed, only the float model as teacher. At the end
the activation scales are written back, each bias's scale becomes its input's scale times its
weight's (what ONNX Runtime's integer kernels assume), and the int8 weights and int32 biases
are rounded again, so graph, size and speed are those of the model it starts from.

Models whose output is not class scores are distilled on their first output's mean squared
error instead. A graph with an operator :data:`OPERATORS` does not know is refused before any
training, with the operators named.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import helper, numpy_helper

from modelport.convert.drift import Array, cpu_session, is_scores, probabilities
from modelport.errors import InvalidInput

BATCH = 16
LEARNING_RATE = 1e-5  # of the biases, in their own units
STEP_RATE = 5e-3  # of the int8 weights, in their steps
SCALE_RATE = 1.5e-2  # of the activation scales, in log units
SEED = 0
LOG_FLOOR = 1e-8  # probabilities below it count as it in the KL divergence
REPORT = 20  # steps averaged for the loss reported at the start and the end


@dataclass
class Distilled:
    """What a distillation did: its steps and its loss over the first and last ``REPORT``."""

    steps: int
    loss_before: float
    loss_after: float


def distil(
    quantized: Path,
    original: Path,
    input_name: str,
    images: Array,
    crop: tuple[int, int],
    *,
    layout: str = "NCHW",
    steps: int,
    learning_rate: float = LEARNING_RATE,
    step_rate: float = STEP_RATE,
    scale_rate: float = SCALE_RATE,
) -> Distilled:
    """Fine-tune ``quantized`` (the QDQ model of ``original``) in place for ``steps`` batches
    of ``BATCH`` random ``crop`` (height, width) windows of ``images`` (a batch in the
    model's ``layout``, larger than ``crop``), half of them mirrored."""

    if steps < 1:
        raise InvalidInput(f"distillation needs at least one step, got {steps}")
    model = onnx.load(str(quantized))
    network = Network(model)
    teacher = cpu_session(original)
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    weights = [network.trained[w.parameter] for w in network.weights.values() if w.in_steps]
    biases = [network.trained[w.parameter] for w in network.weights.values() if not w.in_steps]
    optimizer = torch.optim.Adam(
        [
            {"params": weights, "lr": step_rate},
            {"params": biases, "lr": learning_rate},
            {"params": list(network.scales.values()), "lr": scale_rate},
        ]
    )
    losses: list[float] = []
    for _ in range(steps):
        batch = _crops(images, crop, layout, rng)
        target = np.concatenate(  # one image at a time: the graph's batch may be fixed
            [teacher.run(None, {input_name: batch[i : i + 1]})[0] for i in range(len(batch))]
        )
        loss = _loss(network(torch.from_numpy(batch)), target)
        optimizer.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()
        losses.append(float(loss.item()))
    network.store(model)
    onnx.save(model, str(quantized))
    window = min(REPORT, len(losses))
    return Distilled(
        steps=steps,
        loss_before=float(np.mean(losses[:window])),
        loss_after=float(np.mean(losses[-window:])),
    )


def _crops(images: Array, crop: tuple[int, int], layout: str, rng: np.random.Generator) -> Array:
    """``BATCH`` random windows of ``images``, each mirrored with probability one half."""
    h_axis, w_axis = (1, 2) if layout == "NCHW" else (0, 1)  # of one image
    height, width = images.shape[h_axis + 1], images.shape[w_axis + 1]
    out = []
    for index in rng.integers(0, len(images), BATCH):
        top = int(rng.integers(0, height - crop[0] + 1))
        left = int(rng.integers(0, width - crop[1] + 1))
        window = [slice(None)] * 3
        window[h_axis] = slice(top, top + crop[0])
        window[w_axis] = slice(left, left + crop[1])
        piece = images[index][tuple(window)]
        out.append(np.flip(piece, axis=w_axis) if rng.random() < 0.5 else piece)
    return np.ascontiguousarray(np.stack(out), dtype=np.float32)


def _loss(output: torch.Tensor, target: Array) -> torch.Tensor:
    """KL divergence of the output's class probabilities from the teacher's, or (other
    outputs) mean squared error relative to the teacher's mean square."""
    if not is_scores(target):
        wanted = torch.from_numpy(np.asarray(target, dtype=np.float32))
        return F.mse_loss(output, wanted) / wanted.square().mean().clamp_min(LOG_FLOOR)
    shares = probabilities(target)
    teacher = torch.from_numpy(shares.astype(np.float32))
    if np.array_equal(shares, np.asarray(target, dtype=np.float64)):
        student = output.clamp_min(LOG_FLOOR).log()  # the model ends in a softmax
    else:
        student = output.log_softmax(-1)
    return F.kl_div(student, teacher, reduction="batchmean")


Tensor = Any  # torch.Tensor, or None for an omitted optional input
Operator = Callable[[Sequence[Tensor], dict[str, Any]], Tensor]


def _conv(x: Sequence[Tensor], a: dict[str, Any]) -> Tensor:
    top, left, bottom, right = a.get("pads", [0, 0, 0, 0])
    data = F.pad(x[0], (left, right, top, bottom)) if any((top, left, bottom, right)) else x[0]
    bias = x[2] if len(x) > 2 else None
    return F.conv2d(
        data, x[1], bias, a.get("strides", 1), 0, a.get("dilations", 1), a.get("group", 1)
    )


def _gemm(x: Sequence[Tensor], a: dict[str, Any]) -> Tensor:
    left = x[0].t() if a.get("transA") else x[0]
    right = x[1].t() if a.get("transB") else x[1]
    out = a.get("alpha", 1.0) * (left @ right)
    return out + a.get("beta", 1.0) * x[2] if len(x) > 2 and x[2] is not None else out


def _clip(x: Sequence[Tensor], a: dict[str, Any]) -> Tensor:
    low = x[1] if len(x) > 1 and x[1] is not None else a.get("min")
    high = x[2] if len(x) > 2 and x[2] is not None else a.get("max")
    return torch.clamp(
        x[0], None if low is None else float(low), None if high is None else float(high)
    )


def _reduce_mean(x: Sequence[Tensor], a: dict[str, Any]) -> Tensor:
    axes = a.get("axes") or (x[1].tolist() if len(x) > 1 else list(range(x[0].dim())))
    return x[0].mean(dim=axes, keepdim=bool(a.get("keepdims", 1)))


def _reshape(x: Sequence[Tensor], a: dict[str, Any]) -> Tensor:
    """Reshape; a leading 1 that does not fit is the batch of a graph exported for one."""
    shape = [int(d) for d in x[1].tolist()]
    shape = [x[0].shape[i] if d == 0 else d for i, d in enumerate(shape)]
    if shape[0] == 1 and x[0].shape[0] > 1 and -1 not in shape[1:]:
        shape[0] = -1
    return x[0].reshape(shape)


def _pool(kind: str) -> Operator:
    def pool(x: Sequence[Tensor], a: dict[str, Any]) -> Tensor:
        top, left, bottom, right = a.get("pads", [0, 0, 0, 0])
        kernel, strides = a["kernel_shape"], a.get("strides", [1, 1])
        ceil = bool(a.get("ceil_mode", 0))
        if kind == "max":
            data = F.pad(x[0], (left, right, top, bottom), value=float("-inf"))
            return F.max_pool2d(data, kernel, strides, ceil_mode=ceil)
        if (top, left) != (bottom, right):
            raise InvalidInput("--distil cannot run an AveragePool with uneven pads")
        include = bool(a.get("count_include_pad", 0))
        return F.avg_pool2d(x[0], kernel, strides, (top, left), ceil, include)

    return pool


_FUNCTIONS: dict[str, Operator] = {
    "Conv": _conv,
    "Gemm": _gemm,
    "MatMul": lambda x, a: x[0] @ x[1],
    "Add": lambda x, a: x[0] + x[1],
    "Sub": lambda x, a: x[0] - x[1],
    "Mul": lambda x, a: x[0] * x[1],
    "Div": lambda x, a: x[0] / x[1],
    "Relu": lambda x, a: F.relu(x[0]),
    "LeakyRelu": lambda x, a: F.leaky_relu(x[0], a.get("alpha", 0.01)),
    "Sigmoid": lambda x, a: torch.sigmoid(x[0]),
    "HardSigmoid": lambda x, a: (a.get("alpha", 0.2) * x[0] + a.get("beta", 0.5)).clamp(0, 1),
    "HardSwish": lambda x, a: F.hardswish(x[0]),
    "Tanh": lambda x, a: torch.tanh(x[0]),
    "Clip": _clip,
    "Softmax": lambda x, a: x[0].softmax(a.get("axis", -1)),
    "ReduceMean": _reduce_mean,
    "GlobalAveragePool": lambda x, a: x[0].mean(dim=(2, 3), keepdim=True),
    "AveragePool": _pool("average"),
    "MaxPool": _pool("max"),
    "Flatten": lambda x, a: torch.flatten(x[0], a.get("axis", 1)),
    "Reshape": _reshape,
    "Transpose": lambda x, a: x[0].permute(*a.get("perm", range(x[0].dim() - 1, -1, -1))),
    "Concat": lambda x, a: torch.cat(list(x), a["axis"]),
    "Identity": lambda x, a: x[0],
}


OPERATORS = frozenset(_FUNCTIONS) | {"QuantizeLinear", "DequantizeLinear"}


@dataclass
class _Quantizer:
    """An activation's QuantizeLinear: which learnt scale, its zero point and range."""

    scale: str  # the key of its log scale in Network.scales
    zero_point: Any  # a float tensor of one element
    low: int
    high: int


@dataclass
class _Weight:
    """An int8 or int32 initializer behind a DequantizeLinear, trained as a float."""

    parameter: str
    initializer: str
    scale_initializer: str
    dtype: Any
    scale: Any  # torch.Tensor, per channel along ``axis`` or a scalar
    zero_point: Any
    axis: int

    @property
    def in_steps(self) -> bool:
        """An int8 weight, trained in units of its steps (an int32 bias: in its own)."""
        return bool(self.dtype == np.int8)

    def shaped(self, values: Any, which: Any) -> Any:
        """``which`` (a scale or zero point) shaped to broadcast along ``values``' axis."""
        if which.dim() == 0:
            return which
        shape = [1] * values.dim()
        shape[self.axis] = -1
        return which.reshape(shape)


class Network(torch.nn.Module):
    """A QDQ ONNX graph in torch: activations and int8 weights fake-quantised."""

    def __init__(self, model: Any) -> None:

        super().__init__()
        graph = model.graph
        unknown = sorted({n.op_type for n in graph.node} - OPERATORS)
        if unknown:
            raise InvalidInput(
                f"--distil cannot run operators {', '.join(unknown)}; optimise without it"
            )
        arrays = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
        self.nodes = [
            (n.op_type, list(n.input), n.output[0],
             {a.name: helper.get_attribute_value(a) for a in n.attribute})
            for n in graph.node
        ]  # fmt: skip
        self.input = next(i.name for i in graph.input if i.name not in arrays)
        self.output = graph.output[0].name
        self.weights: dict[str, _Weight] = {}
        self.trained = torch.nn.ParameterDict()
        self.constants: dict[str, Any] = {}
        self.quantizers: dict[str, _Quantizer] = {}
        self.scales = torch.nn.ParameterDict()  # learnt log scales of the activations
        self.scale_keys: dict[str, str] = {}  # an activation scale initializer -> its key
        self.dequantized: dict[str, str] = {}  # an activation's DequantizeLinear -> scale key
        for op, inputs, output, attributes in self.nodes:
            if op == "DequantizeLinear" and inputs[0] in arrays:
                self._weight(arrays, inputs, output, attributes.get("axis", 1))
            elif op == "DequantizeLinear":
                self.dequantized[output] = self._scale_key(inputs[1], arrays)
            elif op == "QuantizeLinear":
                zero = arrays[inputs[2]] if len(inputs) > 2 else np.uint8(0)
                low, high = (0, 255) if zero.dtype == np.uint8 else (-128, 127)
                key = self._scale_key(inputs[1], arrays)
                zero_point = torch.tensor([float(zero)])
                self.quantizers[output] = _Quantizer(key, zero_point, low, high)
        for name, array in arrays.items():
            if array.dtype in (np.float32, np.int64):
                self.constants[name] = torch.from_numpy(array.copy())

    def _scale_key(self, initializer: str, arrays: dict[str, Array]) -> str:
        """The key of an activation scale initializer's learnt log scale: one for all the
        Q and DQ nodes that read it (ONNX Runtime's quantiser shares one between the two
        sides of a Flatten or a MaxPool, so that it can drop them)."""
        if initializer not in self.scale_keys:
            key = self.scale_keys[initializer] = f"s{len(self.scales)}"
            start = np.log(float(arrays[initializer]))
            self.scales[key] = torch.nn.Parameter(torch.tensor(start, dtype=torch.float32))
        return self.scale_keys[initializer]

    def _weight(self, arrays: dict[str, Array], inputs: list[str], output: str, axis: int) -> None:
        values, scale = arrays[inputs[0]], arrays[inputs[1]].astype(np.float32)
        zero = arrays[inputs[2]] if len(inputs) > 2 else np.zeros(scale.shape, values.dtype)
        weight = _Weight(
            parameter=f"w{len(self.weights)}",
            initializer=inputs[0],
            scale_initializer=inputs[1],
            dtype=values.dtype,
            scale=torch.from_numpy(scale),
            zero_point=torch.from_numpy(zero.astype(np.int32)),
            axis=axis,
        )
        floats = torch.from_numpy(values.astype(np.float32))
        start = floats - weight.shaped(floats, weight.zero_point)  # in steps
        if not weight.in_steps:
            start = start * weight.shaped(floats, weight.scale)
        self.trained[weight.parameter] = torch.nn.Parameter(start)
        self.weights[output] = weight

    def _value(self, weight: _Weight) -> Any:
        p = self.trained[weight.parameter]
        if not weight.in_steps:  # an int32 bias: its steps are far below the error
            return p
        if weight.scale.dim() == 0:
            steps = torch.fake_quantize_per_tensor_affine(p, 1.0, int(weight.zero_point), -128, 127)
        else:
            steps = torch.fake_quantize_per_channel_affine(
                p, torch.ones_like(weight.scale), weight.zero_point, weight.axis, -128, 127
            )
        return steps * weight.shaped(p, weight.scale)

    def forward(self, x: Any) -> Any:
        values: dict[str, Any] = {self.input: x, "": None}
        for output, weight in self.weights.items():
            values[output] = self._value(weight)
        for op, inputs, output, attributes in self.nodes:
            if output in values:  # a weight's DequantizeLinear
                continue
            if op == "QuantizeLinear":
                values[output] = self._quantize(values[inputs[0]], self.quantizers[output])
            elif op == "DequantizeLinear":  # of an activation: its Q already rounded it
                values[output] = values[inputs[0]]
            else:
                args = [values[i] if i in values else self.constants[i] for i in inputs]
                values[output] = _FUNCTIONS[op](args, attributes)
        return values[self.output]

    def _quantize(self, x: Any, quantizer: _Quantizer) -> Any:
        """LSQ: the scale's gradient scaled by 1/sqrt(elements x top level), per its paper."""
        scale = self.scales[quantizer.scale].exp().reshape(1)
        factor = float(x[0].numel() * quantizer.high) ** -0.5
        return torch._fake_quantize_learnable_per_tensor_affine(
            x, scale, quantizer.zero_point, quantizer.low, quantizer.high, factor
        )

    def store(self, model: Any) -> None:
        """Write the learnt activation scales, each bias's scale as its input's times its
        weight's, and round the trained weights and biases into ``model``'s initializers."""

        initializers = {i.name: i for i in model.graph.initializer}

        def write(name: str, array: Array) -> None:
            initializers[name].CopyFrom(numpy_helper.from_array(array, name))

        with torch.no_grad():
            for initializer, key in self.scale_keys.items():
                write(initializer, np.array(self.scales[key].exp().item(), np.float32))
            for op, inputs, _, _ in self.nodes:
                if (
                    op not in ("Conv", "Gemm")
                    or len(inputs) < 3
                    or inputs[0] not in self.dequantized
                ):
                    continue
                weight, bias = self.weights.get(inputs[1]), self.weights.get(inputs[2])
                if weight is not None and bias is not None:
                    bias.scale = weight.scale * self.scales[self.dequantized[inputs[0]]].exp()
                    write(bias.scale_initializer, bias.scale.numpy().astype(np.float32))
            for weight in self.weights.values():
                p = self.trained[weight.parameter]
                if not weight.in_steps:
                    p = p / weight.shaped(p, weight.scale)
                q = torch.round(p.double()) + weight.shaped(p, weight.zero_point)
                info = np.iinfo(weight.dtype)  # an int32 bias too: its scale may have shrunk
                q = q.clamp(info.min, info.max)
                write(weight.initializer, q.numpy().astype(weight.dtype))
