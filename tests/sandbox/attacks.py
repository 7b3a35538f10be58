"""An algorithm an attacker deploys: each call tries one attack and reports what happened.

``{"attack": "read", "path": P}`` answers ``{"ok": True, ...}`` only when the attack worked.
"""

ATTACKER = {
    "algorithm.py": """
import os
import signal
import subprocess
import sys
import time


def apply(input):
    attack, arg = input["attack"], input.get("arg")
    try:
        return {"ok": True, "got": ATTACKS[attack](arg)}
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__ + ": " + str(exc)}


def read(path):
    with open(path, "rb") as f:
        return f.read(64).hex()


def listdir(path):
    return os.listdir(path)


def write(path):
    with open(path, "a") as f:
        f.write("import os  # planted\\n")
    return path


def plant(_):  # a .pth in the environment runs in every process that uses it
    import site

    return write(os.path.join(site.getsitepackages()[0], "planted.pth"))


def tamper(_):  # this build's own code, as other callers will run it
    return write(os.path.abspath("algorithm.py"))


def infect(_):  # the server's worker code, which every build runs
    worker = os.path.dirname(sys.modules["_modelport_worker"].__file__)
    return write(os.path.join(worker, "main.py"))


def signal_pid(pid):
    os.kill(pid, signal.SIGUSR2)
    return pid


def orphan(marker):
    # a grandchild in its own session, out of the worker's process group, then a hang
    subprocess.Popen(["sleep", marker], start_new_session=True)
    time.sleep(60)


def shm(megabytes):  # memory outside the heap, which RLIMIT_DATA does not count
    with open("/dev/shm/ballast", "wb") as f:
        for _ in range(megabytes):
            f.write(b"x" * (1 << 20))
    return megabytes


def children(megabytes):  # each child under the per-process limit, together far over it
    code = f"b = bytearray({megabytes} << 20); import time; time.sleep(3)"
    procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(4)]
    codes = [p.wait() for p in procs]
    if any(codes):
        raise RuntimeError(f"children exited with {codes}")
    return codes


def fork_bomb(count):
    started = 0
    try:
        for _ in range(count):
            if os.fork() == 0:
                time.sleep(5)
                os._exit(0)
            started += 1
    except OSError as exc:
        raise OSError(f"{exc} after {started} processes") from None
    return started


def connect(port):  # the gateway's public port, or anything else on the network
    import socket

    socket.create_connection(("127.0.0.1", port), timeout=3).close()
    return port


def api(_):  # the way the platform provides: MODELPORT_API, through the channel when isolated
    import urllib.request

    with urllib.request.urlopen(os.environ["MODELPORT_API"] + "/healthz", timeout=10) as r:
        return r.read().decode()


def fill_tmp(_):  # until the disk is full: /tmp is a tmpfs, capped and charged to the worker
    written = 0
    with open("/tmp/filler", "wb") as f:
        while True:
            f.write(b"x" * (1 << 20))
            written += 1


def big_result(megabytes):  # past MODELPORT_MAX_RESULT_BYTES
    return "x" * (megabytes << 20)


def flood(megabytes):  # printed, not captured: into the build's log
    block = "y" * (1 << 20)
    for _ in range(megabytes):
        print(block)
    return megabytes


def whoami(_):
    return {"uid": os.getuid(), "pid": os.getpid(), "processes": len(
        [p for p in os.listdir("/proc") if p.isdigit()]
    )}


ATTACKS = {
    "read": read, "listdir": listdir, "write": write, "signal": signal_pid,
    "orphan": orphan, "whoami": whoami, "plant": plant, "tamper": tamper, "infect": infect,
    "shm": shm, "children": children, "fork_bomb": fork_bomb, "connect": connect, "api": api,
    "fill_tmp": fill_tmp, "big_result": big_result, "flood": flood,
}
""",
}
