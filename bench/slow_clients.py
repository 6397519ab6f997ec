#!/usr/bin/env python3
"""Holds N slow clients on a server: each connects from its own loopback address
(127.0.0.2, 127.0.0.3, ...: one client per address, so per-address caps do not refuse
them) and sends its request headers one byte every DELAY seconds, reconnecting when
the server drops it. Runs until killed; prints how many are connected every 5 s.

usage: slow_clients.py HOST PORT N [DELAY]"""

import socket
import sys
import threading
import time

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
delay = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0
REQUEST = b"GET /api/studies HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + b"x" * 4000 + b"\r\n\r\n"
connected = 0
drops = 0
lock = threading.Lock()


def client(index):
    global connected, drops
    source = f"127.0.{index // 250}.{index % 250 + 2}"
    while True:
        try:
            sock = socket.create_connection((host, port), source_address=(source, 0), timeout=30)
        except OSError:
            time.sleep(delay)
            continue
        with lock:
            connected += 1
        try:
            for byte in REQUEST:
                sock.sendall(bytes([byte]))
                time.sleep(delay)
        except OSError:
            pass
        finally:
            sock.close()
            with lock:
                connected -= 1
                drops += 1


for i in range(count):
    threading.Thread(target=client, args=(i,), daemon=True).start()
while True:
    time.sleep(5)
    with lock:
        print(f"slow clients connected={connected} dropped_so_far={drops}", flush=True)
