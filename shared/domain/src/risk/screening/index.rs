//! The compact, pre-built form of a screening list: every entry with its names
//! already normalised into tokens, so that loading it costs no CSV parsing, no
//! transliteration and no normalisation, only reading lengths and bytes. It is read
//! whole into memory, so it now serves the shipped sample and small or older lists;
//! `kyc-local screening-index` builds the paged form instead (`paged.rs`), which
//! functions query without holding the list.
//!
//! Layout (integers as LEB128 varints, strings as a length and UTF-8 bytes):
//! `KYCSIDX1`, the entry count, each entry (id, party, kind, name, aliases, birth
//! dates, countries, dataset), then for people and for organisations the variant
//! count and each variant (entry number, name or alias, its tokens).

use super::{
    ALIAS_FIELD, HitKind, NAME_FIELD, NameIndex, NormalisedName, Party, ScreeningEntry, ScreeningList, Variant,
};

/// The first bytes of an index (a CSV never starts so).
pub const INDEX_MAGIC: &[u8; 8] = b"KYCSIDX1";

impl ScreeningList {
    /// The list in its compact, pre-built form.
    pub fn to_index(&self) -> Vec<u8> {
        let mut out = Writer(Vec::with_capacity(64 * self.entries.len() + 16));
        out.0.extend_from_slice(INDEX_MAGIC);
        out.number(self.entries.len());
        for entry in &self.entries {
            out.entry(entry);
        }
        for index in [&self.people, &self.organisations] {
            out.number(index.variants.len());
            for variant in &index.variants {
                out.number(variant.entry);
                out.number(usize::from(variant.field == ALIAS_FIELD));
                out.texts(&variant.name.tokens);
            }
        }
        out.0
    }

    /// Reads a list in its compact form ([`ScreeningList::to_index`]).
    pub fn from_index(bytes: &[u8]) -> Result<ScreeningList, String> {
        let body = bytes.strip_prefix(INDEX_MAGIC.as_slice()).ok_or("not a screening index (wrong magic)")?;
        let mut r = Reader::new(body);
        let count = r.number()?;
        let mut list = ScreeningList { entries: Vec::with_capacity(count.min(1 << 24)), ..ScreeningList::default() };
        for _ in 0..count {
            list.entries.push(r.entry()?);
        }
        for index in [&mut list.people, &mut list.organisations] {
            let variants = r.number()?;
            *index = NameIndex::default();
            for _ in 0..variants {
                let entry = r.number()?;
                if entry >= count {
                    return Err(format!("screening index: variant of entry {entry} beyond {count} entries"));
                }
                let field = if r.number()? == 1 { ALIAS_FIELD } else { NAME_FIELD };
                let name = NormalisedName::from_tokens(r.texts()?);
                index.add(Variant { entry, field, name });
            }
        }
        if r.at != r.bytes.len() {
            return Err("screening index: bytes after its end".into());
        }
        Ok(list)
    }

    /// A list in memory, from the compact index or `targets.simple.csv` (not from a
    /// paged index, which is queried where it lies: [`super::PagedScreeningList`]).
    pub fn load(bytes: &[u8]) -> Result<ScreeningList, String> {
        if bytes.starts_with(super::PAGED_INDEX_MAGIC) {
            Err("a paged screening index is not loaded into memory: open it as a PagedScreeningList".into())
        } else if bytes.starts_with(INDEX_MAGIC) {
            ScreeningList::from_index(bytes)
        } else {
            super::parse_targets_simple(bytes)
        }
    }
}

/// Writes varints, texts and entries into bytes (shared with the paged index).
pub(super) struct Writer(pub(super) Vec<u8>);

impl Writer {
    pub(super) fn number(&mut self, n: usize) {
        self.wide(n as u64);
    }

    pub(super) fn wide(&mut self, mut n: u64) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                self.0.push(byte);
                return;
            }
            self.0.push(byte | 0x80);
        }
    }

    pub(super) fn text(&mut self, s: &str) {
        self.number(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }

    pub(super) fn texts(&mut self, items: &[String]) {
        self.number(items.len());
        for item in items {
            self.text(item);
        }
    }

    pub(super) fn entry(&mut self, entry: &ScreeningEntry) {
        self.text(&entry.id);
        self.number(match entry.party {
            Party::Person => 0,
            Party::Organisation => 1,
        });
        self.number(match entry.kind {
            HitKind::Sanctions => 0,
            HitKind::Pep => 1,
        });
        self.text(&entry.name);
        self.texts(&entry.aliases);
        self.texts(&entry.birth_dates);
        self.texts(&entry.countries);
        self.text(&entry.dataset);
    }
}

/// Reads what [`Writer`] wrote; anything cut short or out of range is an error.
pub(super) struct Reader<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) at: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, at: 0 }
    }

    pub(super) fn wide(&mut self) -> Result<u64, String> {
        let mut n: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = *self.bytes.get(self.at).ok_or("screening index: cut short")?;
            self.at += 1;
            let bits = u64::from(byte & 0x7f);
            // The tenth byte may only carry the top bit of a u64.
            if shift == 63 && bits > 1 {
                return Err("screening index: number too large".into());
            }
            n |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err("screening index: number too large".into())
    }

    pub(super) fn number(&mut self) -> Result<usize, String> {
        usize::try_from(self.wide()?).map_err(|_| "screening index: number too large".into())
    }

    /// The rest of the bytes: a bound for counts (every item takes at least one byte).
    pub(super) fn left(&self) -> usize {
        self.bytes.len() - self.at
    }

    pub(super) fn text(&mut self) -> Result<String, String> {
        let len = self.number()?;
        let end =
            self.at.checked_add(len).filter(|end| *end <= self.bytes.len()).ok_or("screening index: cut short")?;
        let text = std::str::from_utf8(&self.bytes[self.at..end]).map_err(|_| "screening index: text is not UTF-8")?;
        self.at = end;
        Ok(text.to_string())
    }

    pub(super) fn texts(&mut self) -> Result<Vec<String>, String> {
        let count = self.number()?;
        if count > self.left() {
            return Err("screening index: cut short".into());
        }
        (0..count).map(|_| self.text()).collect()
    }

    pub(super) fn entry(&mut self) -> Result<ScreeningEntry, String> {
        let id = self.text()?;
        let party = match self.number()? {
            0 => Party::Person,
            1 => Party::Organisation,
            other => return Err(format!("screening index: unknown party {other}")),
        };
        let kind = match self.number()? {
            0 => HitKind::Sanctions,
            1 => HitKind::Pep,
            other => return Err(format!("screening index: unknown kind {other}")),
        };
        let (name, aliases, birth_dates, countries, dataset) =
            (self.text()?, self.texts()?, self.texts()?, self.texts()?, self.text()?);
        Ok(ScreeningEntry { id, party, name, aliases, birth_dates, countries, kind, dataset })
    }

    /// Bytes left over after what was read: the record is not what was written.
    pub(super) fn finish(&self) -> Result<(), String> {
        if self.at == self.bytes.len() { Ok(()) } else { Err("screening index: bytes after its end".into()) }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{SYNTHETIC_SAMPLE_CSV, SYNTHETIC_SAMPLE_INDEX, parse_targets_simple};
    use super::*;

    fn sample() -> ScreeningList {
        parse_targets_simple(SYNTHETIC_SAMPLE_CSV.as_bytes()).expect("the sample parses")
    }

    #[test]
    fn an_index_reads_back_as_the_list_it_was_built_from() {
        let list = sample();
        let index = list.to_index();
        let read = ScreeningList::from_index(&index).expect("an index reads");
        assert_eq!(read.to_index(), index);
        assert_eq!(read.entries, list.entries);
        for name in ["Ivor Examplov", "Tova Madeupsson", "Ada Lovelace"] {
            assert_eq!(read.screen(name, None, 90), list.screen(name, None, 90), "{name}");
        }
        assert_eq!(ScreeningList::load(&index).expect("loads").len(), list.len());
        assert_eq!(ScreeningList::load(SYNTHETIC_SAMPLE_CSV.as_bytes()).expect("loads").len(), list.len());
    }

    #[test]
    fn a_damaged_index_is_refused_not_half_read() {
        let index = sample().to_index();
        for cut in [4, 9, index.len() / 2, index.len() - 1] {
            assert!(ScreeningList::from_index(&index[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = index.clone();
        longer.push(0);
        assert!(ScreeningList::from_index(&longer).is_err());
    }

    /// The shipped index is the shipped CSV, built: regenerate it with
    /// `KYC_WRITE_SCREENING_INDEX=1 cargo test -p kyc-domain shipped_index`.
    #[test]
    fn the_shipped_index_is_built_from_the_shipped_csv() {
        let built = sample().to_index();
        if std::env::var_os("KYC_WRITE_SCREENING_INDEX").is_some() {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/screening-sample.idx");
            std::fs::write(path, &built).expect("the index is written");
            return;
        }
        assert!(SYNTHETIC_SAMPLE_INDEX == built.as_slice(), "rebuild data/screening-sample.idx (see this test's doc)");
    }
}
