//! Identifiers a router draws for its exchanges: SPIs, message ids, the pointers IOS prints.

use std::sync::Arc;

/// A deterministic source of SPIs, message ids and pointers: one per router, shared by every
/// exchange it takes part in (clones draw from the same sequence), so no two of its message
/// ids or SPIs repeat, as on IOS where they come from one random source per box.
#[derive(Debug, Clone)]
pub struct Ids(Arc<std::sync::Mutex<u64>>);

impl Ids {
    pub fn new(seed: u64) -> Ids {
        Ids(Arc::new(std::sync::Mutex::new(seed | 1)))
    }
    pub fn draw(&mut self) -> u64 {
        let mut state = self.0.lock().unwrap_or_else(|p| p.into_inner());
        // xorshift64*: plenty for identifiers that only need to look random.
        let mut x = *state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        *state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn spi(&mut self) -> u32 {
        (self.draw() >> 32) as u32 | 0x0100_0000
    }
    pub fn mid(&mut self) -> u32 {
        (self.draw() >> 33) as u32 | 0x1000_0000
    }
    pub fn pointer(&mut self) -> String {
        format!("80007309{:08X}", (self.draw() >> 32) as u32 & 0xFFFF_FFF8)
    }

    /// An IKEv2 SPI: eight bytes, never zero (zero means "not known yet").
    pub fn ike_spi(&mut self) -> u64 {
        self.draw() | 1
    }
}
