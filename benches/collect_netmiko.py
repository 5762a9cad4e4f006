"""Collects show commands from lab routers with Netmiko, the way engineers script it today:
a thread pool, one ConnectHandler per device, enable, send_command per command.

usage: collect_netmiko.py JOB.json
JOB.json: {"threads": 20, "commands": [...], "devices": [{"name", "host", "port",
"username", "password", "secret"}, ...]}
Prints one JSON line: client, devices, ok, failed, lines, wall_s, maxrss_kb, errors (first 5).
The lab is on loopback with host keys unknown to paramiko, so Netmiko's default (no strict
host key checking) is kept.
"""

import json
import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from netmiko import ConnectHandler


def collect(device, commands):
    conn = ConnectHandler(
        device_type="cisco_ios",
        host=device["host"],
        port=device["port"],
        username=device["username"],
        password=device["password"],
        secret=device["secret"],
    )
    try:
        conn.enable()
        lines = 0
        for command in commands:
            lines += len(conn.send_command(command).splitlines())
        return lines
    finally:
        conn.disconnect()


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    commands = job["commands"]
    started = time.monotonic()
    ok, lines, errors = 0, 0, []
    with ThreadPoolExecutor(max_workers=job["threads"]) as pool:
        futures = [pool.submit(collect, d, commands) for d in job["devices"]]
        for device, future in zip(job["devices"], futures):
            try:
                lines += future.result()
                ok += 1
            except Exception as e:  # one device failing must not stop the run
                errors.append(f"{device['name']}: {type(e).__name__}: {e}"[:300])
    wall = time.monotonic() - started
    print(json.dumps({
        "client": "netmiko",
        "devices": len(job["devices"]),
        "ok": ok,
        "failed": len(errors),
        "lines": lines,
        "wall_s": wall,
        "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "errors": errors[:5],
    }))


if __name__ == "__main__":
    main()
