"""Models to ONNX and ONNX models made smaller or faster, each refused when outputs drift.

- ``to_onnx.py``: PyTorch and scikit-learn models to ONNX (``modelport convert``);
- ``optimize.py``: graph optimisation, FP16 and INT8 (``modelport optimize``), with
  ``gptq.py`` (error-compensating weight rounding) and ``distil.py`` (fine-tuning the INT8
  model towards the original, needs torch);
- ``drift.py``: the drift numbers, the accuracy gate and the ``.drift.json`` record.

Needs the ``convert`` extra (``pip install 'modelport[convert]'``); PyTorch models need torch.
"""
