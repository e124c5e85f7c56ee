//! The cache's binary form of a [`FileBlame`]: a magic and version, varints, commit ids as raw
//! bytes, and a checksum, so a damaged row is noticed and re-blamed instead of trusted.
//!
//! Layout (version 1): `LMBL` 1 | lines | origins: n, then per origin name, e-mail, time
//! (zigzag), flags, commit (length, bytes) | hunks: n, then per hunk length, origin index |
//! FNV-1a 64 of everything before it, little endian.

use super::{FileBlame, Hunk, Origin};

const MAGIC: &[u8; 4] = b"LMBL";
const VERSION: u8 = 1;
const FLAG_BOUNDARY: u8 = 1;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("not an encoded blame (bad magic)")]
    Magic,
    #[error("encoded blame version {0} is not understood (expected {VERSION})")]
    Version(u8),
    #[error("encoded blame is damaged: {0}")]
    Corrupt(&'static str),
}

pub(super) fn encode(b: &FileBlame) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + b.origins.len() * 64 + b.hunks.len() * 3);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    varint(&mut out, u64::from(b.lines));
    varint(&mut out, b.origins.len() as u64);
    for o in &b.origins {
        bytes(&mut out, o.name.as_bytes());
        bytes(&mut out, o.email.as_bytes());
        varint(&mut out, ((o.time << 1) ^ (o.time >> 63)) as u64);
        out.push(if o.boundary { FLAG_BOUNDARY } else { 0 });
        // Commit ids are checked hex when a FileBlame is built, so this never falls back.
        let raw = hex::decode(&o.commit).unwrap_or_else(|_| o.commit.as_bytes().to_vec());
        bytes(&mut out, &raw);
    }
    varint(&mut out, b.hunks.len() as u64);
    for h in &b.hunks {
        varint(&mut out, u64::from(h.len));
        varint(&mut out, u64::from(h.origin));
    }
    let sum = fnv1a(&out);
    out.extend_from_slice(&sum.to_le_bytes());
    out
}

pub(super) fn decode(data: &[u8]) -> Result<FileBlame, DecodeError> {
    if data.len() < MAGIC.len() + 1 || &data[..4] != MAGIC {
        return Err(DecodeError::Magic);
    }
    if data[4] != VERSION {
        return Err(DecodeError::Version(data[4]));
    }
    let Some(body_len) = data.len().checked_sub(8).filter(|&n| n >= 5) else {
        return Err(DecodeError::Corrupt("truncated"));
    };
    let (body, sum) = data.split_at(body_len);
    let mut stored = [0u8; 8];
    stored.copy_from_slice(sum);
    if fnv1a(body) != u64::from_le_bytes(stored) {
        return Err(DecodeError::Corrupt("checksum mismatch"));
    }
    let mut r = Reader { data: body, at: 5 };
    let lines = u32::try_from(r.varint()?).map_err(|_| DecodeError::Corrupt("line count"))?;
    let n = r.count()?;
    let mut origins = Vec::with_capacity(n);
    for _ in 0..n {
        let name = r.string()?;
        let email = r.string()?;
        let z = r.varint()?;
        let time = ((z >> 1) as i64) ^ -((z & 1) as i64);
        let flags = r.byte()?;
        if flags & !FLAG_BOUNDARY != 0 {
            return Err(DecodeError::Corrupt("unknown origin flags"));
        }
        let raw = r.bytes()?;
        if raw.len() != 20 && raw.len() != 32 {
            return Err(DecodeError::Corrupt("commit id length"));
        }
        origins.push(Origin {
            name,
            email,
            time,
            commit: hex::encode(raw),
            boundary: flags & FLAG_BOUNDARY != 0,
        });
    }
    let n = r.count()?;
    let mut hunks = Vec::with_capacity(n);
    let mut start: u32 = 1;
    for _ in 0..n {
        let len = u32::try_from(r.varint()?).map_err(|_| DecodeError::Corrupt("hunk length"))?;
        let origin = r.varint()?;
        if len == 0 || origin >= origins.len() as u64 {
            return Err(DecodeError::Corrupt("hunk out of range"));
        }
        hunks.push(Hunk {
            start,
            len,
            origin: origin as u32,
        });
        start = start
            .checked_add(len)
            .ok_or(DecodeError::Corrupt("hunk length"))?;
    }
    if u64::from(start) != u64::from(lines) + 1 {
        return Err(DecodeError::Corrupt("hunks do not cover the file"));
    }
    if r.at != body.len() {
        return Err(DecodeError::Corrupt("trailing bytes"));
    }
    Ok(FileBlame {
        lines,
        origins,
        hunks,
    })
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn bytes(out: &mut Vec<u8>, b: &[u8]) {
    varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

struct Reader<'a> {
    data: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, DecodeError> {
        let b = *self
            .data
            .get(self.at)
            .ok_or(DecodeError::Corrupt("truncated"))?;
        self.at += 1;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64, DecodeError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(DecodeError::Corrupt("varint too long"))
    }

    /// A count of items that each take at least one byte: more than the bytes left is damage,
    /// and refusing it keeps a corrupt count from reserving gigabytes.
    fn count(&mut self) -> Result<usize, DecodeError> {
        let n = self.varint()?;
        if n > (self.data.len() - self.at) as u64 {
            return Err(DecodeError::Corrupt("count exceeds data"));
        }
        Ok(n as usize)
    }

    fn bytes(&mut self) -> Result<&[u8], DecodeError> {
        let n = self.count()?;
        let b = &self.data[self.at..self.at + n];
        self.at += n;
        Ok(b)
    }

    fn string(&mut self) -> Result<String, DecodeError> {
        let b = self.bytes()?;
        String::from_utf8(b.to_vec()).map_err(|_| DecodeError::Corrupt("text is not UTF-8"))
    }
}
