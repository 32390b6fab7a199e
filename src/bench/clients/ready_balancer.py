#!/usr/bin/env python3
"""A TCP load balancer that does what a Kubernetes Service does for a shutdown: new connections go
only to backends whose readiness probe answers 200, connections already open stay where they are
until one side closes them. The shutdown bench puts it in front of two servers and stops one.

A backend that resets a connection is passed on as a reset (SO_LINGER 0), so that the client counts
what a client of the server itself would have counted.

    ready_balancer.py --listen 18080 --backend 18081:18091 --backend 18082:18092 [--probe-ms 100]

Each --backend is TRAFFIC_PORT:HTTP_PORT: the port to forward to and the HTTP port whose
/v2/health/ready decides (the same for HTTP traffic; the server's HTTP port for its gRPC port).
"""
import argparse
import asyncio
import itertools
import signal
import socket
import struct
import sys
import urllib.request


class Backend:
    def __init__(self, spec):
        traffic, probe = spec.split(":")
        self.port = int(traffic)
        self.probe_port = int(probe)
        self.ready = False

    def probe(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.probe_port}/v2/health/ready", timeout=0.5) as r:
                return r.status == 200
        except Exception:
            return False


async def probe_forever(backends, every):
    loop = asyncio.get_running_loop()
    while True:
        for b in backends:
            b.ready = await loop.run_in_executor(None, b.probe)
        await asyncio.sleep(every)


def reset(writer):
    """Closes with RST, as a reset from the backend reaches the client through a transparent balancer."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.transport.abort()


async def pipe(reader, writer, peer, stats, key):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            stats[key] += len(data)
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()  # half-close: the other direction may still be answering
    except (ConnectionResetError, BrokenPipeError):
        stats["resets"] += 1
        reset(peer)
        reset(writer)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", type=int, required=True)
    ap.add_argument("--backend", action="append", required=True)
    ap.add_argument("--probe-ms", type=int, default=100)
    args = ap.parse_args()
    backends = [Backend(s) for s in args.backend]
    turn = itertools.count()
    stats = {"connections": 0, "up": 0, "down": 0, "resets": 0, "no_backend": 0}

    async def serve(client_reader, client_writer):
        ready = [b for b in backends if b.ready]
        if not ready:
            stats["no_backend"] += 1
            client_writer.close()
            return
        b = ready[next(turn) % len(ready)]
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", b.port)
        except OSError:
            stats["no_backend"] += 1
            client_writer.close()
            return
        stats["connections"] += 1
        await asyncio.gather(
            pipe(client_reader, up_writer, client_writer, stats, "up"),
            pipe(up_reader, client_writer, up_writer, stats, "down"))
        for w in (up_writer, client_writer):
            if not w.transport.is_closing():
                w.close()

    asyncio.get_running_loop().create_task(probe_forever(backends, args.probe_ms / 1000))
    server = await asyncio.start_server(serve, "127.0.0.1", args.listen, backlog=1024)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()
    print(f"balancer: {stats['connections']} connections, {stats['resets']} ended by a reset,"
          f" {stats['no_backend']} with no ready backend", file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
