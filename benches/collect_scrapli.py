"""Collects show commands from lab routers with Scrapli 2 (the libscrapli-based release,
`scrapli` 2026.x on PyPI) and its asyncio API: one `Cli` per device with the `cisco_iosxe`
definition (which also drives classic IOS), `send_input_async` per command, an asyncio
semaphore bounding how many devices are in flight.

usage: collect_scrapli.py JOB.json
JOB.json: {"concurrency": 50, "transport": "ssh2" | "bin", "commands": [...],
"devices": [{"name", "host", "port", "username", "password", "secret"}, ...]}
Prints one JSON line like collect_netmiko.py. The lab is on loopback: the `bin` transport
(system ssh) runs without strict host key checking; `ssh2` (libssh2 in process) is given no
known_hosts file.
"""

import asyncio
import json
import resource
import sys
import time

from scrapli import AuthOptions, Cli, LookupKeyValue, TransportBinOptions, TransportSsh2Options


def transport(kind):
    if kind == "bin":
        return TransportBinOptions(enable_strict_key=False)
    return TransportSsh2Options()


async def collect(device, commands, kind, gate):
    async with gate:
        cli = Cli(
            device["host"],
            port=device["port"],
            definition_file_or_name="cisco_iosxe",
            auth_options=AuthOptions(
                username=device["username"],
                password=device["password"],
                lookups=[LookupKeyValue(key="enable", value=device["secret"])],
            ),
            transport_options=transport(kind),
        )
        async with cli as conn:
            lines = 0
            for command in commands:
                result = await conn.send_input_async(command)
                lines += len(result.result.splitlines())
            return lines


async def run(job):
    gate = asyncio.Semaphore(job["concurrency"])
    kind = job.get("transport", "ssh2")
    return await asyncio.gather(
        *(collect(d, job["commands"], kind, gate) for d in job["devices"]),
        return_exceptions=True,
    )


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    started = time.monotonic()
    results = asyncio.run(run(job))
    wall = time.monotonic() - started
    ok, lines, errors = 0, 0, []
    for device, result in zip(job["devices"], results):
        if isinstance(result, BaseException):
            errors.append(f"{device['name']}: {type(result).__name__}: {result}"[:300])
        else:
            ok += 1
            lines += result
    print(json.dumps({
        "client": "scrapli-" + job.get("transport", "ssh2"),
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
