class Handler:
    """DCF style: __init__ loads once, __call__ gets req.input as raw bytes."""

    def __init__(self):
        self.calls = 0

    def __call__(self, req):
        self.calls += 1
        return req.input[::-1]
