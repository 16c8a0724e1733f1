"""One worker process of the pacing test: N Rekognition calls through the product's pacer.

Run as ``python -m tests.faces.pacing_worker LIMITER_URL PREFIX RATE N``; prints one JSON list of the
wall-clock time each call was made at. The client is a real boto3 Rekognition client behind botocore's
Stubber (nothing leaves the machine); LIMITER_URL is the shared Redis, or ``memory`` for a limiter of
this process alone (the test's control).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from botocore.stub import Stubber

from eventlens.faces.rekognition.calls import PacedCalls, make_client
from eventlens.ratelimit import RateLimiter


def main(url: str, prefix: str, rate: str, n: int) -> None:
    client = make_client("eu-west-1")
    made: list[float] = []

    def stamp(**_kw: Any) -> None:
        made.append(time.time())

    client.meta.events.register("provide-client-params.rekognition.DeleteFaces", stamp)
    calls = PacedCalls(client, RateLimiter(None if url == "memory" else url, key_prefix=prefix), rate)
    with Stubber(client) as stubber:
        for _ in range(n):
            stubber.add_response(
                "delete_faces", {"DeletedFaces": ["f"]}, {"CollectionId": "c", "FaceIds": ["f"]}
            )
        for _ in range(n):
            calls("DeleteFaces", "delete_faces", CollectionId="c", FaceIds=["f"])
    print(json.dumps(made))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
