"""The runtime adapters: the local worker pool and an in-process fake of the ``Runner`` port."""
