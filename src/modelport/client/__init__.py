"""The Python client: the modelport HTTP API over httpx, nothing else.

```python
from pathlib import Path
from modelport.client import AlgorithmError, Client

with Client() as client:                       # key and address from MODELPORT_API_KEY /
    build = client.deploy(Path("digits"))      # MODELPORT_API or ~/.modelport/credentials.json
    sha = build["commit_sha"]
    print(client.algo(f"admin/digits/{sha}").pipe({"x": 1}).result)     # {'y': 2}
    client.publish("admin", "digits", "minor")                          # 0.1.0
    try:
        client.algo("admin/digits/0.1.*").pipe({"x": "one"})
    except AlgorithmError as e:
        print(e.error_type, e.message)         # InputError x must be a number
```

Platform errors raise the ``modelport.errors`` class named by the server's ``code``.
"""

from modelport.client.archive import pack
from modelport.client.calls import Algo, AlgorithmError, Response
from modelport.client.client import Client
from modelport.client.credentials import Credentials
from modelport.client.data import DataDirectory, DataFile, Entry
from modelport.client.deploy import read_manifest

__all__ = [
    "Algo",
    "AlgorithmError",
    "Client",
    "Credentials",
    "DataDirectory",
    "DataFile",
    "Entry",
    "Response",
    "pack",
    "read_manifest",
]
