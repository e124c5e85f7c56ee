//! The blame cache: git blame of one file at one commit never changes, so it is kept by
//! (repo, commit, path) and reused by every later routing. A cache, not state: no events.
//! A row that no longer decodes (damage, an older encoding) is a miss and is overwritten.

use std::collections::{HashMap, HashSet};

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};
use crate::owners::blame::{BlameError, Blamer, FileBlame};

/// What [`Store::blame_batch`] found.
#[derive(Debug, Default)]
pub struct BlameBatch {
    /// By path, as asked.
    pub blames: HashMap<String, FileBlame>,
    /// Paths git could not blame (not in the commit, hostile, git failed), with why.
    pub errors: Vec<(String, BlameError)>,
    /// Paths served from the cache.
    pub hits: usize,
    /// Paths blamed now (successfully or not).
    pub blamed: usize,
    /// Cache rows that did not decode and were blamed again.
    pub damaged: usize,
}

impl Store {
    /// The cached blame of `path`; `None` when absent or undecodable.
    pub fn cached_blame(
        &self,
        repo: &str,
        commit: &str,
        path: &str,
    ) -> Result<Option<FileBlame>, StoreError> {
        let data: Option<Vec<u8>> = self
            .conn
            .prepare_cached(
                "SELECT data FROM blame_cache WHERE repo = ?1 AND commit_id = ?2 AND path = ?3",
            )?
            .query_row(params![repo, commit, path], |r| r.get(0))
            .optional()?;
        Ok(data.and_then(|d| FileBlame::decode(&d).ok()))
    }

    /// Stores blames of files at `commit`, in one transaction.
    pub fn put_blames<'a>(
        &mut self,
        repo: &str,
        commit: &str,
        blames: impl IntoIterator<Item = (&'a str, &'a FileBlame)>,
    ) -> Result<usize, StoreError> {
        let txn = self.conn.transaction()?;
        let mut n = 0;
        {
            let mut put = txn.prepare_cached(
                "INSERT OR REPLACE INTO blame_cache (repo, commit_id, path, data) \
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (path, blame) in blames {
                put.execute(params![repo, commit, path, blame.encode()])?;
                n += 1;
            }
        }
        txn.commit()?;
        Ok(n)
    }

    /// Blames of `paths` at `commit` in the blamer's repo: from the cache where present, the
    /// rest through git in parallel and then cached. Per-path failures are in
    /// [`BlameBatch::errors`]; only a database failure is an error.
    pub fn blame_batch<S: AsRef<str> + Sync>(
        &mut self,
        blamer: &Blamer,
        commit: &str,
        paths: &[S],
    ) -> Result<BlameBatch, StoreError> {
        let repo = blamer.repo();
        let mut out = BlameBatch::default();
        let mut misses: Vec<&str> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::with_capacity(paths.len());
        {
            let mut get = self.conn.prepare_cached(
                "SELECT data FROM blame_cache WHERE repo = ?1 AND commit_id = ?2 AND path = ?3",
            )?;
            for p in paths {
                let p = p.as_ref();
                if !seen.insert(p) {
                    continue;
                }
                let data: Option<Vec<u8>> = get
                    .query_row(params![repo, commit, p], |r| r.get(0))
                    .optional()?;
                match data.map(|d| FileBlame::decode(&d)) {
                    Some(Ok(b)) => {
                        out.hits += 1;
                        out.blames.insert(p.to_string(), b);
                    }
                    Some(Err(_)) => {
                        out.damaged += 1;
                        misses.push(p);
                    }
                    None => misses.push(p),
                }
            }
        }
        out.blamed = misses.len();
        if misses.is_empty() {
            return Ok(out);
        }
        let results = blamer.blame_many(commit, &misses);
        let mut fresh: Vec<(&str, FileBlame)> = Vec::with_capacity(results.len());
        for (p, r) in misses.iter().zip(results) {
            match r {
                Ok(b) => fresh.push((p, b)),
                Err(e) => out.errors.push((p.to_string(), e)),
            }
        }
        self.put_blames(repo, commit, fresh.iter().map(|(p, b)| (*p, b)))?;
        for (p, b) in fresh {
            out.blames.insert(p.to_string(), b);
        }
        Ok(out)
    }
}
