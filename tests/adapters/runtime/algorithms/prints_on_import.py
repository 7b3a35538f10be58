import sys

sys.stderr.write("z" * (40 << 20))  # 40 MiB at import, as the build's check runs it
sys.stderr.write("\nthe last line\n")


def apply(input):
    return input
