#!/usr/bin/env python3
"""Closed-loop HTTP/1.1 load on kept-alive connections that says what became of every request:
answered (by status) or lost (the connection closed or reset with no answer). A connection whose
answer says `Connection: close` is closed and a new one opened, as a client should.

wrk counts the end of such a connection as a read error even when every request on it was
answered (wg/wrk issues 118 and 295), so the shutdown bench counts with this instead.

    keepalive_load.py --port 18080 --connections 8 --seconds 8 --bodies FILE
"""
import argparse
import collections
import http.client
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--bodies", required=True, help="JSON bodies, one per line (lctserve-bench wrk-bodies)")
    ap.add_argument("--model", default="fashion-mnist")
    args = ap.parse_args()
    with open(args.bodies, "rb") as f:
        bodies = [line.strip() for line in f if line.strip()]
    path = f"/v2/models/{args.model}/infer"
    stop = time.time() + args.seconds
    lock = threading.Lock()
    statuses = collections.Counter()
    lost = []

    def worker(offset):
        conn = None
        i = offset
        while time.time() < stop:
            if conn is None:
                conn = http.client.HTTPConnection("localhost", args.port, timeout=30)
            try:
                conn.request("POST", path, bodies[i % len(bodies)], {"Content-Type": "application/json"})
                r = conn.getresponse()
                r.read()
                with lock:
                    statuses[r.status] += 1
                if r.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as e:
                with lock:
                    lost.append(f"{time.time():.3f} {e!r}")
                conn.close()
                conn = None
            i += 1

    threads = [threading.Thread(target=worker, args=(c * 997,)) for c in range(args.connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    answered = sum(statuses.values())
    other = {s: n for s, n in statuses.items() if s != 200}
    print(f"answered {answered} ({statuses[200]} with 200, others {other or 'none'}), lost {len(lost)}")
    for line in lost[:10]:
        print("  lost at " + line)


if __name__ == "__main__":
    main()
