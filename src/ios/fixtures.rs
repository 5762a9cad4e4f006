//! Two routers as `show running-config` prints them on IOS 15.x: R1 (203.0.113.1, LAN
//! 192.168.101.0/24) and R2 (203.0.113.2, LAN 192.168.102.0/24), a healthy tunnel between
//! them. Tests break them one line at a time with [`edit`].

use super::config::parse;
use super::model::RunningConfig;
use std::net::Ipv4Addr;

pub const R1: &str = "\
R1#show running-config
Building configuration...

Current configuration : 1789 bytes
!
! Last configuration change at 10:12:31 UTC Mon Mar 4 2024
!
version 15.4
service timestamps debug datetime msec
service timestamps log datetime msec
no service password-encryption
!
hostname R1
!
boot-start-marker
boot-end-marker
!
enable secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX7m0
!
no aaa new-model
!
username admin privilege 15 secret 5 $1$vK7N$u1XvJ3dZqg0vZrYz1m9Gz.
!
crypto isakmp policy 10
 encr aes 256
 hash sha256
 authentication pre-share
 group 14
 lifetime 28800
crypto isakmp key cisco123 address 203.0.113.2
!
!
crypto ipsec transform-set TS esp-aes 256 esp-sha-hmac 
 mode tunnel
!
!
!
crypto map CMAP 10 ipsec-isakmp 
 description Tunnel to R2
 set peer 203.0.113.2
 set transform-set TS 
 set pfs group14
 match address 110
!
!
!
interface GigabitEthernet0/0
 description Outside
 ip address 203.0.113.1 255.255.255.0
 duplex auto
 speed auto
 media-type rj45
 crypto map CMAP
!
interface GigabitEthernet0/1
 description LAN
 ip address 192.168.101.1 255.255.255.0
 duplex auto
 speed auto
 media-type rj45
!
ip forward-protocol nd
!
no ip http server
no ip http secure-server
ip route 0.0.0.0 0.0.0.0 203.0.113.254
!
access-list 110 permit ip 192.168.101.0 0.0.0.255 192.168.102.0 0.0.0.255
!
control-plane
!
banner motd ^C
Authorized access only
crypto is watched here
^C
!
line con 0
 logging synchronous
line aux 0
line vty 0 4
 password cisco
 login
 transport input ssh
!
end
";

pub const R2: &str = "\
version 15.4
service timestamps debug datetime msec
service timestamps log datetime msec
!
hostname R2
!
enable secret 5 $1$pdQG$o8nrSzsGXeaduXrjlvKc91
!
crypto isakmp policy 10
 encr aes 256
 hash sha256
 authentication pre-share
 group 14
 lifetime 28800
crypto isakmp key cisco123 address 203.0.113.1
!
!
crypto ipsec transform-set TS esp-aes 256 esp-sha-hmac 
 mode tunnel
!
!
!
crypto map CMAP 10 ipsec-isakmp 
 description Tunnel to R1
 set peer 203.0.113.1
 set transform-set TS 
 set pfs group14
 match address 110
!
!
!
interface GigabitEthernet0/0
 description Outside
 ip address 203.0.113.2 255.255.255.0
 duplex auto
 speed auto
 crypto map CMAP
!
interface GigabitEthernet0/1
 description LAN
 ip address 192.168.102.1 255.255.255.0
 duplex auto
 speed auto
!
ip route 0.0.0.0 0.0.0.0 203.0.113.254
!
access-list 110 permit ip 192.168.102.0 0.0.0.255 192.168.101.0 0.0.0.255
!
end
";

pub fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

pub const R1_ADDR: &str = "203.0.113.1";
pub const R2_ADDR: &str = "203.0.113.2";

/// `text` with `from` replaced by `to`; panics when `from` is absent, so a test cannot
/// silently keep the healthy config.
pub fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "fixture has no {from:?}");
    text.replacen(from, to, 1)
}

pub fn cfg(text: &str) -> RunningConfig {
    parse(text).config
}
