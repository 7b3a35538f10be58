"""The worker: the process that runs one build's code, and the protocol it speaks.

Standard library only and Python 3.8+, since it runs with the build environment's own
interpreter, where modelport may be absent or another version. The gateway starts it as
``python -s .../modelport/worker --source DIR --entrypoint algorithm.py:apply --fd 3``
(``__main__.py`` loads this folder under a private package name) and imports
``protocol`` from here. Modules here import each other relatively, which works under both names:

- ``protocol.py``: the frames, their rows and errors, encoded and decoded in one place;
- ``main.py``: the process: arguments, ``sys.path``, the serving loop, the import check;
- ``program.py``: the user contract: import the entrypoint, ``load()``, ``apply``/``Handler``;
- ``channel.py``: the loopback port whose connections go to the gateway through the
  worker's channel, which acts as the right caller at each moment.
"""
