#!/usr/bin/env python3
"""Slow clients for the hardening benchmark: N connections that each send an inference request's
headers and then its body one byte per second, reconnecting when the server closes them (408).
  python3 src/bench/slow-clients.py [port] [connections] [seconds]"""
import socket
import sys
import time

port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
count = int(sys.argv[2]) if len(sys.argv) > 2 else 300
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 30
body = '{"inputs":[{"name":"input","shape":[1,1,28,28],"datatype":"UINT8","data":[' + ",".join(["0"] * 784) + "]}]}"
head = ("POST /v2/models/fashion-mnist/infer HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        "Content-Length: %d\r\n\r\n" % len(body)).encode()


def connect():
    s = socket.create_connection(("localhost", port))
    s.setblocking(False)
    s.send(head)
    return [s, 0]


conns = [connect() for _ in range(count)]
reconnects = 0
end = time.time() + seconds
while time.time() < end:
    for c in conns:
        try:
            c[0].send(body[c[1]].encode())
            c[1] = (c[1] + 1) % len(body)
        except OSError:
            c[0].close()
            c[:] = connect()
            reconnects += 1
    time.sleep(1)
print("slow clients: %d connections for %.0f s, %d reconnects after the server closed one" % (count, seconds, reconnects))
