//! `show crypto isakmp sa|policy`, `show crypto ipsec sa`, `show crypto session`,
//! `show crypto map`: answered by the router's model, which owns the SA state.

use crate::lab::cli::grammar::{Args, Reject};
use crate::lab::model::CryptoShow;

pub fn ipsec_sa_peer(args: &Args<'_>) -> Result<CryptoShow, Reject> {
    Ok(CryptoShow::IpsecSa {
        peer: Some(args.ipv4(0)?),
        detail: false,
    })
}
