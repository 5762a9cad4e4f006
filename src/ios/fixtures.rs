//! Two routers as `show running-config` prints them on IOS 15.x: R1 (203.0.113.1, LAN
//! 192.168.101.0/24) and R2 (203.0.113.2, LAN 192.168.102.0/24), a healthy tunnel between
//! them. Tests break them one line at a time with [`edit`].
//!
//! The same two routers three more ways, as IOS-XE 17 prints them: an IKEv2 VTI with
//! asymmetric keys ([`V2_R1`], [`V2_R2`]), an IKEv1 VTI with ISAKMP profiles ([`V1VTI_R1`],
//! [`V1VTI_R2`]), and IKEv2 on crypto maps ([`v2_map_r1`], [`v2_map_r2`]).

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

pub const V2_R1: &str = "\
R1#show running-config
Building configuration...

Current configuration : 2210 bytes
!
version 17.9
service timestamps debug datetime msec
service timestamps log datetime msec
platform qfp utilization monitor load 80
!
hostname R1
!
boot-start-marker
boot-end-marker
!
enable secret 9 $9$4bWCvvkCVmhcLU$N/NsKkNV0N8NG0qdPVw8D0OQ2x4S1xnQ6Kj3UvF7yuA
!
crypto ikev2 proposal PROP-1 
 encryption aes-cbc-256
 integrity sha256
 group 14
!
crypto ikev2 policy POL-1 
 match address local 203.0.113.1
 proposal PROP-1
!
crypto ikev2 keyring KR
 peer R2
  address 203.0.113.2
  pre-shared-key local R1-signs-with-this
  pre-shared-key remote R2-signs-with-this
 !
!
crypto ikev2 profile PROF
 match identity remote address 203.0.113.2 255.255.255.255 
 identity local address 203.0.113.1
 authentication remote pre-share
 authentication local pre-share
 keyring local KR
 lifetime 28800
 dpd 10 3 periodic
!
crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac 
 mode tunnel
!
crypto ipsec profile VTI-PROF
 set transform-set TS 
 set pfs group14
 set ikev2-profile PROF
!
interface Tunnel0
 ip address 10.255.0.1 255.255.255.252
 tunnel source GigabitEthernet1
 tunnel mode ipsec ipv4
 tunnel destination 203.0.113.2
 tunnel protection ipsec profile VTI-PROF
!
interface GigabitEthernet1
 description Outside
 ip address 203.0.113.1 255.255.255.0
 negotiation auto
!
interface GigabitEthernet2
 description LAN
 ip address 192.168.101.1 255.255.255.0
 negotiation auto
!
ip forward-protocol nd
ip route 0.0.0.0 0.0.0.0 203.0.113.254
ip route 192.168.102.0 255.255.255.0 Tunnel0
!
end
";

pub const V2_R2: &str = "\
hostname R2
!
crypto ikev2 proposal PROP-1 
 encryption aes-cbc-256
 integrity sha256
 group 14
!
crypto ikev2 policy POL-1 
 match address local 203.0.113.2
 proposal PROP-1
!
crypto ikev2 keyring KR
 peer R1
  address 203.0.113.1
  pre-shared-key local R2-signs-with-this
  pre-shared-key remote R1-signs-with-this
 !
!
crypto ikev2 profile PROF
 match identity remote address 203.0.113.1 255.255.255.255 
 identity local address 203.0.113.2
 authentication remote pre-share
 authentication local pre-share
 keyring local KR
 lifetime 28800
 dpd 10 3 periodic
!
crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac 
 mode tunnel
!
crypto ipsec profile VTI-PROF
 set transform-set TS 
 set pfs group14
 set ikev2-profile PROF
!
interface Tunnel0
 ip address 10.255.0.2 255.255.255.252
 tunnel source GigabitEthernet1
 tunnel mode ipsec ipv4
 tunnel destination 203.0.113.1
 tunnel protection ipsec profile VTI-PROF
!
interface GigabitEthernet1
 description Outside
 ip address 203.0.113.2 255.255.255.0
 negotiation auto
!
interface GigabitEthernet2
 description LAN
 ip address 192.168.102.1 255.255.255.0
 negotiation auto
!
ip route 0.0.0.0 0.0.0.0 203.0.113.254
ip route 192.168.101.0 255.255.255.0 Tunnel0
!
end
";

pub const V1VTI_R1: &str = "\
hostname R1
!
crypto keyring KR-R2  
  pre-shared-key address 203.0.113.2 key cisco123
!
crypto isakmp policy 10
 encr aes 256
 hash sha256
 authentication pre-share
 group 14
crypto isakmp profile ISAKMP-R2
   keyring KR-R2
   match identity address 203.0.113.2 255.255.255.255 
!
crypto ipsec transform-set TS esp-aes 256 esp-sha-hmac 
 mode tunnel
!
crypto ipsec profile VTI-V1
 set transform-set TS 
 set isakmp-profile ISAKMP-R2
!
interface Tunnel0
 ip address 10.255.0.1 255.255.255.252
 tunnel source GigabitEthernet0/0
 tunnel mode ipsec ipv4
 tunnel destination 203.0.113.2
 tunnel protection ipsec profile VTI-V1
!
interface GigabitEthernet0/0
 ip address 203.0.113.1 255.255.255.0
!
interface GigabitEthernet0/1
 ip address 192.168.101.1 255.255.255.0
!
ip route 0.0.0.0 0.0.0.0 203.0.113.254
ip route 192.168.102.0 255.255.255.0 Tunnel0
";

pub const V1VTI_R2: &str = "\
hostname R2
!
crypto keyring KR-R1  
  pre-shared-key address 203.0.113.1 key cisco123
!
crypto isakmp policy 10
 encr aes 256
 hash sha256
 authentication pre-share
 group 14
crypto isakmp profile ISAKMP-R1
   keyring KR-R1
   match identity address 203.0.113.1 255.255.255.255 
!
crypto ipsec transform-set TS esp-aes 256 esp-sha-hmac 
 mode tunnel
!
crypto ipsec profile VTI-V1
 set transform-set TS 
 set isakmp-profile ISAKMP-R1
!
interface Tunnel0
 ip address 10.255.0.2 255.255.255.252
 tunnel source GigabitEthernet0/0
 tunnel mode ipsec ipv4
 tunnel destination 203.0.113.1
 tunnel protection ipsec profile VTI-V1
!
interface GigabitEthernet0/0
 ip address 203.0.113.2 255.255.255.0
!
interface GigabitEthernet0/1
 ip address 192.168.102.1 255.255.255.0
!
ip route 0.0.0.0 0.0.0.0 203.0.113.254
ip route 192.168.101.0 255.255.255.0 Tunnel0
";

/// The IKEv2 pair with its tunnel replaced by a crypto map naming the IKEv2 profile.
pub fn v2_map(vti: &str, me: &str, peer: &str, lan: &str, peer_lan: &str) -> String {
    let tunnel_start = vti.find("interface Tunnel0").unwrap_or(0);
    let tunnel_end = vti[tunnel_start..]
        .find("interface GigabitEthernet1")
        .map_or(tunnel_start, |i| tunnel_start + i);
    let mut text = vti[..tunnel_start].to_string();
    text.push_str(&format!(
        "crypto map CMAP 10 ipsec-isakmp \n set peer {peer}\n set transform-set TS \n set ikev2-profile PROF\n match address VPN\n!\n"
    ));
    text.push_str(&vti[tunnel_end..]);
    let text = edit(
        &text,
        &format!(" ip address {me} 255.255.255.0\n negotiation auto\n"),
        &format!(" ip address {me} 255.255.255.0\n negotiation auto\n crypto map CMAP\n"),
    );
    edit(
        &text,
        &format!("ip route {peer_lan} 255.255.255.0 Tunnel0\n"),
        &format!(
            "!\nip access-list extended VPN\n permit ip {lan} 0.0.0.255 {peer_lan} 0.0.0.255\n"
        ),
    )
}

pub fn v2_map_r1() -> String {
    v2_map(V2_R1, R1_ADDR, R2_ADDR, "192.168.101.0", "192.168.102.0")
}

pub fn v2_map_r2() -> String {
    v2_map(V2_R2, R2_ADDR, R1_ADDR, "192.168.102.0", "192.168.101.0")
}

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
