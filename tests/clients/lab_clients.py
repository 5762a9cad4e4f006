"""Drives a running lab with the clients engineers use: Netmiko (with ntc-templates through
use_textfsm), Scrapli 2, and ntc-templates directly. Run by tests/lab_clients.rs.

usage: lab_clients.py JOB.json
JOB.json: {"routers": {"R1": {"host", "port", "username", "password", "secret"}, "R2": {...}},
"peer": {"R1": "203.0.113.2", "R2": "203.0.113.1"}, "fix": ["crypto isakmp key ..."],
"ping": "ping 192.168.102.1 source GigabitEthernet1/0"}
The lab runs the psk-mismatch scenario: R2's key is wrong until the fix is applied. With
"mode": "vti" (and "peer", R2's address) it runs an IKEv2 VTI scenario instead and reads the
tunnel's rows.
Prints one line per check and exits non-zero on the first failure.
"""

import asyncio
import json
import re
import sys

from netmiko import ConnectHandler
from ntc_templates.parse import parse_output
from scrapli import AuthOptions, Cli, LookupKeyValue, TransportSsh2Options

# Commands the lab prints that ntc-templates has a cisco_ios template for.
TEMPLATED = [
    "show version",
    "show clock",
    "show ip interface brief",
    "show ip route",
    "show interfaces",
    "show access-lists",
    "show ip access-lists",
    "show logging",
    "show crypto ipsec sa detail",
    "show crypto session detail",
]


def check(ok, what):
    if not ok:
        raise SystemExit(f"FAIL: {what}")
    print(f"ok: {what[:120]}")


def connect(r):
    return ConnectHandler(
        device_type="cisco_ios",
        host=r["host"],
        port=r["port"],
        username=r["username"],
        password=r["password"],
        secret=r["secret"],
    )


def save(conn, cmd="write memory"):
    """Netmiko's save_config returns whatever the router printed; a refusal must not pass."""
    out = conn.save_config(cmd=cmd)
    if "[OK]" not in out or "% Invalid" in out:
        raise RuntimeError(f"the router refused to save: {out!r}")
    return out


def values(row):
    for v in row.values():
        if isinstance(v, list):
            yield from (x for x in v if x)
        elif v:
            yield v


# A duration IOS writes in words (`uptime is 1 minute`, `1 hour, 0 minutes`), digits blurred.
DURATION = re.compile(r"N (year|week|day|hour|minute|second)s?(, N (year|week|day|hour|minute|second)s?)*\b")


def shape(text):
    """Text with its digits blurred: clocks, uptimes and lifetimes move between two reads. A
    duration in words is blurred whole: `1 minute` becomes `2 minutes`, `59 minutes` becomes
    `1 hour, 0 minutes` (at the lab's speed, a second of real time apart)."""
    blurred = re.sub(r"\d+", "N", " ".join(str(text).split()))
    return DURATION.sub("N T", blurred)


def rows_match_raw(command, rows, raw):
    """Every value TextFSM pulled out must be text the router printed."""
    check(isinstance(rows, list) and rows, f"{command}: TextFSM gave rows, not raw text")
    flat = shape(raw)
    for row in rows:
        for v in values(row):
            check(shape(v) in flat, f"{command}: {v!r} is in the raw output")


def templates_parse(raws):
    for command, raw in raws.items():
        rows = parse_output(platform="cisco_ios", command=command, data=raw)
        rows_match_raw(f"ntc-templates {command}", rows, raw)


async def scrapli_reads(r, commands):
    cli = Cli(
        r["host"],
        port=r["port"],
        definition_file_or_name="cisco_iosxe",
        auth_options=AuthOptions(
            username=r["username"],
            password=r["password"],
            lookups=[LookupKeyValue(key="enable", value=r["secret"])],
        ),
        transport_options=TransportSsh2Options(),
    )
    out = {}
    async with cli as conn:
        for command in commands:
            result = await conn.send_input_async(command)
            out[command] = result.result
    return out


# What a route-based tunnel adds to the commands ntc-templates parses.
TEMPLATED_VTI = [
    "show ip interface brief",
    "show ip route",
    "show interfaces",
    "show crypto session detail",
    "show crypto ipsec sa detail",
    "show logging",
]


def tunnel_rows(rows, key="interface"):
    return [r for r in rows if r.get(key) == "Tunnel0"]


def vti(job):
    """An IKEv2 VTI scenario: R1 brings the tunnel up with a ping; TextFSM reads the tunnel."""
    c1 = connect(job["routers"]["R1"])
    c1.enable()
    ping = c1.send_command(job["ping"], read_timeout=30)
    check("Success rate is" in ping and "Success rate is 0 percent" not in ping, f"ping across the tunnel: {ping.splitlines()[-1]}")
    rows = {}
    for command in TEMPLATED_VTI:
        raw = c1.send_command(command)
        check("% Invalid" not in raw, f"{command}: the lab knows it")
        rows[command] = c1.send_command(command, use_textfsm=True)
        rows_match_raw(f"netmiko {command}", rows[command], raw)
    c1.disconnect()
    session = tunnel_rows(rows["show crypto session detail"])
    check(len(session) == 1 and session[0]["session_status"] == "UP-ACTIVE", f"session row for Tunnel0: {session}")
    check(session[0]["remote_ip"] == job["peer"] and session[0]["active_sa"] == "2", f"its IKE peer and SAs: {session}")
    tunnel = tunnel_rows(rows["show interfaces"])
    check(len(tunnel) == 1 and tunnel[0]["link_status"] == "up" and tunnel[0]["protocol_status"].startswith("up"), f"show interfaces Tunnel0 row: {tunnel}")
    brief = tunnel_rows(rows["show ip interface brief"])
    check(len(brief) == 1 and brief[0]["proto"] == "up", f"show ip interface brief Tunnel0 row: {brief}")
    print("all client checks passed")


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    if job.get("mode") == "vti":
        return vti(job)
    r1, r2 = job["routers"]["R1"], job["routers"]["R2"]

    # The fix, applied the way an engineer scripts it, then saved.
    c2 = connect(r2)
    c2.enable()
    out = c2.send_config_set(job["fix"], error_pattern=r"% Invalid|% Incomplete|% Ambiguous")
    check("(config)#" in out and "% " not in out, "send_config_set applied the fix")
    saved = save(c2)
    check("Building configuration..." in saved, "save_config wrote the startup-config")
    try:
        save(c2, cmd="write bogus")
    except RuntimeError as e:
        check("% Invalid input" in str(e), "save_config on a refused command fails loudly")
    else:
        check(False, "save_config on a refused command fails loudly")
    startup = c2.send_command("show startup-config")
    check(job["fix"][0] in startup, "the fix is in the startup-config")

    # The tunnel comes up once phase 1 is cleared on the initiator.
    c1 = connect(r1)
    c1.enable()
    c1.send_command("clear crypto isakmp")
    c1.send_command("clear crypto sa")
    ping = c1.send_command(job["ping"], read_timeout=30)
    check("Success rate is" in ping and "Success rate is 0 percent" not in ping, f"ping after the fix: {ping.splitlines()[-1]}")
    sa = c1.send_command("show crypto isakmp sa")
    check("QM_IDLE" in sa, "phase 1 is up (QM_IDLE)")

    # Netmiko with use_textfsm: rows that match the raw text.
    raws = {}
    for command in TEMPLATED:
        raw = c1.send_command(command)
        check("% Invalid" not in raw, f"{command}: the lab knows it")
        parsed = c1.send_command(command, use_textfsm=True)
        rows_match_raw(f"netmiko {command}", parsed, raw)
        raws[command] = raw
    ping_rows = c1.send_command(job["ping"], use_textfsm=True, read_timeout=30)
    check(isinstance(ping_rows, list) and ping_rows and ping_rows[0].get("success_pct") == "100", "netmiko ping rows")
    raws[job["ping"]] = c1.send_command(job["ping"], read_timeout=30)
    trace = "traceroute 203.0.113.2"  # R1's peer in psk-mismatch
    raws[trace] = c1.send_command(trace, read_timeout=30)
    rows_match_raw(f"netmiko {trace}", c1.send_command(trace, use_textfsm=True, read_timeout=30), raws[trace])
    c1.disconnect()
    c2.disconnect()

    # ntc-templates on every templated command the lab printed.
    templates_parse(raws)

    # Scrapli 2 reads the same commands and gets the same text (counters aside).
    theirs = asyncio.run(scrapli_reads(r1, ["show ip interface brief", "show crypto isakmp sa", "show running-config"]))
    check(shape(theirs["show ip interface brief"]) == shape(raws["show ip interface brief"]), "scrapli show ip interface brief equals netmiko's")
    check("QM_IDLE" in theirs["show crypto isakmp sa"], "scrapli show crypto isakmp sa")
    check("crypto map VPN 10 ipsec-isakmp" in theirs["show running-config"], "scrapli show running-config (pager off)")
    print("all client checks passed")


if __name__ == "__main__":
    main()
