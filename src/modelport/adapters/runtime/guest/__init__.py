"""The SDK user code imports as ``modelport`` inside a worker (``guest/`` goes on ``sys.path``).

Standard library only and Python 3.8+, like the worker. In the gateway's own tree it is just
``modelport.adapters.runtime.guest.modelport``, so it is type-checked and tested in place;
its modules import each other relatively, which works under both names.
"""
