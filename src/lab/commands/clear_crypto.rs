//! `clear crypto sa [peer A.B.C.D]`, `clear crypto session [remote A.B.C.D]`,
//! `clear crypto isakmp [CONN-ID]`: the model tears the SAs down (and logs what IOS logs).

use crate::lab::cli::grammar::{Args, Reject};
use crate::lab::model::CryptoClear;

pub fn sa_peer(args: &Args<'_>) -> Result<CryptoClear, Reject> {
    Ok(CryptoClear::Sa {
        peer: Some(args.ipv4(0)?),
    })
}

pub fn session_remote(args: &Args<'_>) -> Result<CryptoClear, Reject> {
    Ok(CryptoClear::Session {
        remote: Some(args.ipv4(0)?),
    })
}

pub fn isakmp_conn(args: &Args<'_>) -> Result<CryptoClear, Reject> {
    Ok(CryptoClear::Isakmp {
        conn_id: Some(args.number(0)?),
    })
}
