//! Opaque list cursors. A cursor names the index and partition it was issued for, so
//! one issued for another query (or another tenant) is refused rather than obeyed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::table::{Index, PageKey};

#[derive(Serialize, Deserialize)]
struct CursorBody {
    v: u8,
    i: String,
    p: String,
    k: PageKey,
}

fn index_tag(index: Index) -> &'static str {
    match index {
        Index::Primary => "p",
        Index::Gsi1 => "1",
        Index::Gsi2 => "2",
        Index::Gsi3 => "3",
    }
}

pub fn encode(index: Index, partition: &str, key: &PageKey) -> String {
    let body = CursorBody { v: 1, i: index_tag(index).into(), p: partition.into(), k: key.clone() };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&body).unwrap_or_default())
}

/// The page key a cursor stands for, if it was issued for this index and partition.
pub fn decode(cursor: &str, index: Index, partition: &str) -> Result<PageKey, AppError> {
    decode_param("cursor", cursor, index, partition)
}

/// As `decode`, for a cursor passed under another parameter name (`after`).
pub fn decode_param(param: &str, cursor: &str, index: Index, partition: &str) -> Result<PageKey, AppError> {
    let refused = || AppError::bad_parameter(param, "is not a cursor issued for this list");
    if cursor.len() > 2048 {
        return Err(refused());
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| refused())?;
    let body: CursorBody = serde_json::from_slice(&bytes).map_err(|_| refused())?;
    let key_in_partition = match index {
        Index::Primary => body.k.pk == partition,
        _ => body.k.ipk.as_deref() == Some(partition),
    };
    if body.v != 1 || body.i != index_tag(index) || body.p != partition || !key_in_partition {
        return Err(refused());
    }
    Ok(body.k)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> PageKey {
        PageKey { pk: "T#a#L#x".into(), sk: "LEAD".into(), ipk: Some("T#a#LEADS".into()), isk: Some("2026".into()) }
    }

    #[test]
    fn a_cursor_round_trips_for_its_own_query() {
        let c = encode(Index::Gsi3, "T#a#LEADS", &key());
        assert_eq!(decode(&c, Index::Gsi3, "T#a#LEADS").ok(), Some(key()));
    }

    #[test]
    fn a_cursor_is_refused_for_another_tenant_or_index_or_garbage() {
        let c = encode(Index::Gsi3, "T#a#LEADS", &key());
        assert!(decode(&c, Index::Gsi3, "T#b#LEADS").is_err());
        assert!(decode(&c, Index::Gsi1, "T#a#LEADS").is_err());
        assert!(decode("not-a-cursor", Index::Gsi3, "T#a#LEADS").is_err());
    }
}
