"""Asks the API who it is, in the ways user code can: the default key, its own key, none."""

import json
import os
import threading
import time
import urllib.request

SEEN = {}


def whoami(key="default"):
    headers = {"Content-Type": "application/json", "Connection": "keep-alive"}
    headers["X-Modelport-Channel"] = "forged by the algorithm"
    if key == "default":  # what clients send unless told otherwise
        headers["Authorization"] = "Bearer " + os.environ["MODELPORT_API_KEY"]
    elif key:
        headers["Authorization"] = key
    url = os.environ["MODELPORT_API"] + "/v1/algo/demo/whoami"
    request = urllib.request.Request(url, data=b'""', headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["result"]


def later():
    time.sleep(0.5)
    SEEN["later"] = whoami()


def apply(input):
    if input == "later":  # a request made after the call has ended
        threading.Thread(target=later).start()
        return None
    if input == "seen":
        return SEEN.get("later", "not yet")
    if input == "own":
        return whoami("Bearer mp_written_in_the_code")
    if input == "none":
        return whoami(None)
    keys = [os.environ.get("ALGORITHMIA_API_KEY"), os.environ.get("MODELPORT_API_KEY")]
    return {"who": whoami(), "keys": keys}
