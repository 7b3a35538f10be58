def Handler(req):
    return req.input.decode().upper()
