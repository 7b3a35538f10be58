"""The model-file deploy helpers, shared with tests/modelfile."""

from tests.modelfile.conftest import call, deploy_model

__all__ = ["call", "deploy_model"]  # fixtures
