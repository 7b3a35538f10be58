def apply(input):
    if input == "hog":
        blocks = [bytearray(64 * 2**20) for _ in range(64)]  # 4 GiB, past any test limit
        return len(blocks)
    return input
