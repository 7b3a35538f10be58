def apply(input):
    if isinstance(input, bytes):
        return input[::-1]
    return b"\x00\x01\xffbinary"
