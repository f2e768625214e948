//! The paged index of a screening list: built once (`kyc-local screening-index`, before
//! the list is uploaded), then queried where it lies, a file on the function's
//! ephemeral storage, without holding the list in memory. Only a small directory is
//! read at opening; a screening reads the name blocks of the screened name's block keys
//! and the entry pages of its hits, and drops them.
//!
//! Layout (integers as LEB128 varints unless said, strings as a length and UTF-8):
//! - `KYCSIDX2`;
//! - the entry pages: [`ENTRIES_PER_PAGE`] consecutive entries each (the last one
//!   fewer), every entry as in `KYCSIDX1` (id, party, kind, name, aliases, birth dates,
//!   countries, dataset);
//! - the name blocks, people's then organisations', each in block key order: the
//!   normalised names that hold a token of that key, as a count and each name's number,
//!   entry number, name or alias, and tokens;
//! - the directory: the entry count, entries per page, the page count and each page's
//!   offset and length; then for people and for organisations the block count and each
//!   block's key, offset and length;
//! - a footer of 48 bytes: the directory's offset and length (u64, little-endian) and
//!   the SHA-256 of every byte before the footer.
//!
//! Opening checks the whole file against its SHA-256 and the directory against the
//! file, so a damaged or truncated index is refused before its first screening, never
//! half-read.

use std::collections::HashSet;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use super::index::{Reader, Writer};
use super::{
    ALIAS_FIELD, BLOCK_PREFIX, BestPerEntry, NAME_FIELD, NameIndex, NormalisedName, ScreeningEntry, ScreeningHit,
    ScreeningList, block_keys, consider, hit_of, lead_hits, sort_hits,
};
use crate::lead::Lead;

/// The first bytes of a paged index.
pub const PAGED_INDEX_MAGIC: &[u8; 8] = b"KYCSIDX2";

/// Entries per page: a hit reads one page of about 64 entries (a few KiB).
pub const ENTRIES_PER_PAGE: usize = 64;

const FOOTER_BYTES: u64 = 48;

/// How much of the file the checksum reads at a time when opening.
const CHECK_CHUNK: usize = 1 << 20;

/// Random access to the bytes of a paged index: a file read in place, or bytes in
/// memory (tests, small lists).
pub trait IndexBytes: Send + Sync {
    fn size(&self) -> u64;
    /// Fills `buf` with the bytes from `offset`; an error when they are not all there.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), String>;
}

impl IndexBytes for Vec<u8> {
    fn size(&self) -> u64 {
        self.len() as u64
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), String> {
        let start = usize::try_from(offset).map_err(|_| "screening index: read beyond its end")?;
        let bytes = start
            .checked_add(buf.len())
            .and_then(|end| self.get(start..end))
            .ok_or("screening index: read beyond its end")?;
        buf.copy_from_slice(bytes);
        Ok(())
    }
}

/// Where a record lies in the file.
#[derive(Debug, Clone, Copy)]
struct Span {
    offset: u64,
    len: usize,
}

/// A name block of the directory: its key (ASCII, zero-padded) and where it lies.
#[derive(Debug, Clone, Copy)]
struct Block {
    key: [u8; BLOCK_PREFIX],
    span: Span,
}

/// A screening list in its paged index, opened: the directory in memory, the rest read
/// page by page as screenings need it.
pub struct PagedScreeningList {
    bytes: Box<dyn IndexBytes>,
    entries: usize,
    entries_per_page: usize,
    pages: Vec<Span>,
    people: Vec<Block>,
    organisations: Vec<Block>,
}

impl std::fmt::Debug for PagedScreeningList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PagedScreeningList")
            .field("entries", &self.entries)
            .field("pages", &self.pages.len())
            .field("people_blocks", &self.people.len())
            .field("organisation_blocks", &self.organisations.len())
            .finish()
    }
}

impl ScreeningList {
    /// Writes the list as a paged index; answers the bytes written.
    pub fn write_paged_index(&self, out: &mut impl std::io::Write) -> std::io::Result<u64> {
        let mut out = Checksummed { out, hasher: Sha256::new(), written: 0 };
        out.put(PAGED_INDEX_MAGIC)?;
        let mut pages = Vec::with_capacity(self.entries.len().div_ceil(ENTRIES_PER_PAGE));
        for chunk in self.entries.chunks(ENTRIES_PER_PAGE) {
            let mut page = Writer(Vec::new());
            for entry in chunk {
                page.entry(entry);
            }
            pages.push((out.written, page.0.len()));
            out.put(&page.0)?;
        }
        let mut blocks: [Vec<(&str, u64, usize)>; 2] = [Vec::new(), Vec::new()];
        for (listed, index) in blocks.iter_mut().zip([&self.people, &self.organisations]) {
            let mut keys: Vec<&String> = index.blocks.keys().collect();
            keys.sort();
            for key in keys {
                let block = name_block(index, index.blocks.get(key).map(Vec::as_slice).unwrap_or_default());
                listed.push((key.as_str(), out.written, block.len()));
                out.put(&block)?;
            }
        }
        let mut directory = Writer(Vec::new());
        directory.number(self.entries.len());
        directory.number(ENTRIES_PER_PAGE);
        directory.number(pages.len());
        for (offset, len) in pages {
            directory.wide(offset);
            directory.number(len);
        }
        for listed in &blocks {
            directory.number(listed.len());
            for (key, offset, len) in listed {
                directory.text(key);
                directory.wide(*offset);
                directory.number(*len);
            }
        }
        let directory_offset = out.written;
        out.put(&directory.0)?;
        let mut footer = Vec::with_capacity(FOOTER_BYTES as usize);
        footer.extend_from_slice(&directory_offset.to_le_bytes());
        footer.extend_from_slice(&(directory.0.len() as u64).to_le_bytes());
        footer.extend_from_slice(&out.hasher.finalize_reset());
        out.out.write_all(&footer)?;
        Ok(out.written + FOOTER_BYTES)
    }

    /// The list as a paged index in memory.
    pub fn to_paged_index(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        // Writing into a Vec cannot fail.
        let _ = self.write_paged_index(&mut bytes);
        bytes
    }
}

/// The names of one block: each with its number in the index, so that a name found
/// under two of a screened name's keys is compared once.
fn name_block(index: &NameIndex, ids: &[usize]) -> Vec<u8> {
    let mut block = Writer(Vec::new());
    block.number(ids.len());
    for &id in ids {
        let Some(variant) = index.variants.get(id) else { continue };
        block.number(id);
        block.number(variant.entry);
        block.number(usize::from(variant.field == ALIAS_FIELD));
        block.texts(&variant.name.tokens);
    }
    block.0
}

/// Writes through, hashing what it writes and counting the offset.
struct Checksummed<'a, W> {
    out: &'a mut W,
    hasher: Sha256,
    written: u64,
}

impl<W: std::io::Write> Checksummed<'_, W> {
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.out.write_all(bytes)?;
        self.hasher.update(bytes);
        self.written += bytes.len() as u64;
        Ok(())
    }
}

impl PagedScreeningList {
    /// Opens a paged index: checks it whole against its checksum and reads its
    /// directory. A damaged, truncated or foreign file is refused here.
    pub fn open(bytes: Box<dyn IndexBytes>) -> Result<PagedScreeningList, String> {
        let size = bytes.size();
        if size < PAGED_INDEX_MAGIC.len() as u64 + FOOTER_BYTES {
            return Err("screening index: cut short".into());
        }
        let mut magic = [0u8; 8];
        bytes.read_at(0, &mut magic)?;
        if &magic != PAGED_INDEX_MAGIC {
            return Err("not a paged screening index (wrong magic)".into());
        }
        let body_end = size - FOOTER_BYTES;
        let mut footer = [0u8; FOOTER_BYTES as usize];
        bytes.read_at(body_end, &mut footer)?;
        let word = |at: usize| {
            let mut le = [0u8; 8];
            le.copy_from_slice(&footer[at..at + 8]);
            u64::from_le_bytes(le)
        };
        let (directory_offset, directory_len) = (word(0), word(8));
        if checksum(bytes.as_ref(), body_end)?.as_slice() != &footer[16..] {
            return Err("screening index: checksum mismatch (damaged or cut short)".into());
        }
        if directory_offset < PAGED_INDEX_MAGIC.len() as u64
            || directory_offset.checked_add(directory_len) != Some(body_end)
        {
            return Err("screening index: directory out of place".into());
        }
        let directory = read_span(
            bytes.as_ref(),
            Span {
                offset: directory_offset,
                len: usize::try_from(directory_len).map_err(|_| "screening index: directory too large")?,
            },
        )?;
        let mut r = Reader::new(&directory);
        let span = |r: &mut Reader<'_>| -> Result<Span, String> {
            let (offset, len) = (r.wide()?, r.number()?);
            let end = offset.checked_add(len as u64);
            if offset < PAGED_INDEX_MAGIC.len() as u64 || end.is_none_or(|end| end > directory_offset) {
                return Err("screening index: a page lies outside the file".into());
            }
            Ok(Span { offset, len })
        };
        let entries = r.number()?;
        let entries_per_page = r.number()?;
        let page_count = r.number()?;
        if entries_per_page == 0 || page_count != entries.div_ceil(entries_per_page) || page_count > r.left() {
            return Err("screening index: the entry pages do not add up".into());
        }
        let pages = (0..page_count).map(|_| span(&mut r)).collect::<Result<Vec<_>, _>>()?;
        let mut blocks = [Vec::new(), Vec::new()];
        for listed in &mut blocks {
            let count = r.number()?;
            if count > r.left() {
                return Err("screening index: cut short".into());
            }
            listed.reserve_exact(count);
            for _ in 0..count {
                let key = block_key(&r.text()?).ok_or("screening index: a block key is not one")?;
                let block = Block { key, span: span(&mut r)? };
                // Sorted and unique, so that a lookup can search the keys by halves.
                if listed.last().is_some_and(|last: &Block| last.key >= block.key) {
                    return Err("screening index: block keys out of order".into());
                }
                listed.push(block);
            }
        }
        r.finish()?;
        let [people, organisations] = blocks;
        Ok(PagedScreeningList { bytes, entries, entries_per_page, pages, people, organisations })
    }

    /// The number of screened entries (people and organisations).
    pub fn len(&self) -> usize {
        self.entries
    }

    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// As [`ScreeningList::screen`], hit for hit; an error when the index cannot be read.
    pub fn screen(
        &self,
        full_name: &str,
        birth_date: Option<NaiveDate>,
        threshold_percent: u32,
    ) -> Result<Vec<ScreeningHit>, String> {
        self.search(&self.people, &NormalisedName::person(full_name), birth_date, threshold_percent)
    }

    /// As [`ScreeningList::screen_company`], hit for hit.
    pub fn screen_company(&self, legal_name: &str, threshold_percent: u32) -> Result<Vec<ScreeningHit>, String> {
        self.search(&self.organisations, &NormalisedName::organisation(legal_name), None, threshold_percent)
    }

    /// As [`ScreeningList::screen_lead`], hit for hit.
    pub fn screen_lead(&self, lead: &Lead, threshold_percent: u32) -> Result<Vec<ScreeningHit>, String> {
        lead_hits(
            lead,
            |name, birth_date| self.screen(name, birth_date, threshold_percent),
            |legal_name| self.screen_company(legal_name, threshold_percent),
        )
    }

    fn search(
        &self,
        blocks: &[Block],
        name: &NormalisedName,
        birth_date: Option<NaiveDate>,
        threshold_percent: u32,
    ) -> Result<Vec<ScreeningHit>, String> {
        if name.tokens.is_empty() {
            return Ok(Vec::new());
        }
        let best = self.best_per_entry(blocks, name, threshold_percent)?;
        let mut hits = Vec::with_capacity(best.len());
        for (entry, best) in best {
            hits.extend(hit_of(&self.entry(entry)?, best, birth_date));
        }
        sort_hits(&mut hits);
        Ok(hits)
    }

    /// The best name of each entry among those that share a block with `name`, each
    /// compared once; one block is read and held at a time.
    fn best_per_entry(
        &self,
        blocks: &[Block],
        name: &NormalisedName,
        threshold_percent: u32,
    ) -> Result<BestPerEntry, String> {
        let mut seen = HashSet::new();
        let mut best = BestPerEntry::new();
        for key in block_keys(&name.tokens) {
            let Some(key) = block_key(&key) else { continue };
            let Ok(found) = blocks.binary_search_by(|b| b.key.cmp(&key)) else { continue };
            let bytes = read_span(self.bytes.as_ref(), blocks[found].span)?;
            let mut r = Reader::new(&bytes);
            let count = r.number()?;
            if count > r.left() {
                return Err("screening index: cut short".into());
            }
            for _ in 0..count {
                let (number, entry) = (r.number()?, r.number()?);
                let field = match r.number()? {
                    0 => NAME_FIELD,
                    1 => ALIAS_FIELD,
                    other => return Err(format!("screening index: unknown name field {other}")),
                };
                let tokens = r.texts()?;
                if entry >= self.entries {
                    return Err(format!("screening index: a name of entry {entry} beyond {} entries", self.entries));
                }
                if seen.insert(number) {
                    consider(&mut best, name, threshold_percent, entry, field, &NormalisedName::from_tokens(tokens));
                }
            }
            r.finish()?;
        }
        Ok(best)
    }

    /// Entry `number`, read from its page.
    fn entry(&self, number: usize) -> Result<ScreeningEntry, String> {
        let page = self.pages.get(number / self.entries_per_page).ok_or("screening index: no such entry")?;
        let bytes = read_span(self.bytes.as_ref(), *page)?;
        let mut r = Reader::new(&bytes);
        for _ in 0..number % self.entries_per_page {
            r.entry()?;
        }
        r.entry()
    }
}

/// A block key as the directory keeps it: one to three ASCII letters or digits,
/// zero-padded (a zero byte is never part of a key).
fn block_key(key: &str) -> Option<[u8; BLOCK_PREFIX]> {
    let bytes = key.as_bytes();
    if bytes.is_empty() || bytes.len() > BLOCK_PREFIX || !bytes.iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    let mut packed = [0u8; BLOCK_PREFIX];
    packed[..bytes.len()].copy_from_slice(bytes);
    Some(packed)
}

fn read_span(bytes: &dyn IndexBytes, span: Span) -> Result<Vec<u8>, String> {
    let mut buf = vec![0u8; span.len];
    bytes.read_at(span.offset, &mut buf)?;
    Ok(buf)
}

fn checksum(bytes: &dyn IndexBytes, end: u64) -> Result<Vec<u8>, String> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHECK_CHUNK];
    let mut at = 0;
    while at < end {
        let n = usize::try_from((end - at).min(CHECK_CHUNK as u64)).unwrap_or(CHECK_CHUNK);
        bytes.read_at(at, &mut buf[..n])?;
        hasher.update(&buf[..n]);
        at += n as u64;
    }
    Ok(hasher.finalize().to_vec())
}
