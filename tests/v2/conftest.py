from tests.modelfile.conftest import deploy_model

__all__ = ["deploy_model"]
