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


def whoami(_):
    return {"uid": os.getuid(), "pid": os.getpid(), "processes": len(
        [p for p in os.listdir("/proc") if p.isdigit()]
    )}


ATTACKS = {
    "read": read, "listdir": listdir, "write": write, "signal": signal_pid,
    "orphan": orphan, "whoami": whoami, "plant": plant, "tamper": tamper, "infect": infect,
}
""",
}
