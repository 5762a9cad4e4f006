//! `show version`: the banner of the IOS generation the router imitates, with its hostname and
//! lab-clock uptime filled in. R1-style routers are a 7206VXR on IOS 15.2, IOS-XE ones an
//! ISR4331 on 16.9; the first line tells a parser which debug format to expect.

use crate::lab::clock::{LogFormat, uptime_phrase};
use crate::lab::router::Router;

const IOS15: &str = r#"Cisco IOS Software, 7200 Software (C7200-ADVENTERPRISEK9-M), Version 15.2(4)M11, RELEASE SOFTWARE (fc2)
Technical Support: http://www.cisco.com/techsupport
Copyright (c) 1986-2016 by Cisco Systems, Inc.
Compiled Fri 23-Sep-16 07:21 by prod_rel_team

ROM: ROMMON Emulation Microcode
BOOTLDR: 7200 Software (C7200-ADVENTERPRISEK9-M), Version 15.2(4)M11, RELEASE SOFTWARE (fc2)

{host} uptime is {uptime}
System returned to ROM by unknown reload cause - suspect boot_data[BOOT_COUNT] 0x0, BOOT_COUNT 0, BOOTDATA 19
System image file is "tftp://255.255.255.255/unknown"
Last reload reason: Unknown reason

Cisco 7206VXR (NPE400) processor (revision A) with 491520K/32768K bytes of memory.
Processor board ID 4279256517
R7000 CPU at 150MHz, Implementation 39, Rev 2.1, 256KB L2 Cache
6 slot VXR midplane, Version 2.1

Last reset from power-on

2 Gigabit Ethernet interfaces
509K bytes of NVRAM.

8192K bytes of ATA PCMCIA card at slot 0 (Sector size 512 bytes).
Configuration register is 0x2102"#;

const IOS_XE: &str = r#"Cisco IOS XE Software, Version 16.09.04
Cisco IOS Software [Fuji], ISR Software (X86_64_LINUX_IOSD-UNIVERSALK9-M), Version 16.9.4, RELEASE SOFTWARE (fc2)
Technical Support: http://www.cisco.com/techsupport
Copyright (c) 1986-2019 by Cisco Systems, Inc.
Compiled Thu 22-Aug-19 18:09 by mcpre

ROM: 16.7(4r)

{host} uptime is {uptime}
Uptime for this control processor is {uptime}
System returned to ROM by Reload Command
System image file is "bootflash:isr4300-universalk9.16.09.04.SPA.bin"
Last reload reason: Reload Command

cisco ISR4331/K9 (1RU) processor with 1795979K/6147K bytes of memory.
Processor board ID FDO21520TGH
3 Gigabit Ethernet interfaces
32768K bytes of non-volatile configuration memory.
4194304K bytes of physical memory.
3223551K bytes of flash memory at bootflash:.

Configuration register is 0x2102"#;

pub fn lines(router: &Router) -> Vec<String> {
    let template = match router.log_format() {
        LogFormat::Ios15 => IOS15,
        LogFormat::IosXe => IOS_XE,
    };
    let uptime = uptime_phrase(router.clock.elapsed());
    template
        .lines()
        .map(|l| {
            l.replace("{host}", router.name())
                .replace("{uptime}", &uptime)
        })
        .collect()
}
