//! Passage vectors: quantized in memory, cached on disk.
//!
//! A vector is stored as 384 signed bytes and one scale (the largest component / 127):
//! a quarter of the memory of `f32`, and a dot product with the query (kept in full
//! precision) over 50,000 passages takes a few milliseconds.
//!
//! The cache file (`<data>/vectors/<model>.bin`) maps a passage's key (a hash of the
//! model id and the passage text) to its vector, so a restart, or an edit, embeds only
//! passages it has never seen. It is append-only: a record is key, scale, components
//! and a checksum, and a record cut short by a crash is ignored (and overwritten) on
//! the next open. Losing the file only costs re-embedding.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::model::{DIMENSIONS, MODEL_ID};

/// Identifies a passage text for one model.
pub type PassageKey = [u8; 16];

/// The key of `text` under the current model.
pub fn passage_key(text: &str) -> PassageKey {
    let mut hasher = blake3::Hasher::new();
    hasher.update(MODEL_ID.as_bytes());
    hasher.update(&[0]);
    hasher.update(text.as_bytes());
    let mut key = [0u8; 16];
    key.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
    key
}

/// A vector in 8 bits per component.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantized {
    pub scale: f32,
    pub codes: Vec<i8>,
}

/// Quantizes a (unit) vector: each component becomes `round(x / scale)` with
/// `scale = max |x| / 127`.
pub fn quantize(vector: &[f32]) -> Quantized {
    let largest = vector.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    let scale = if largest > 0.0 { largest / 127.0 } else { 1.0 };
    let codes = vector.iter().map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8).collect();
    Quantized { scale, codes }
}

const MAGIC: &[u8; 8] = b"QVEC0001";
/// Bytes one cached vector takes in the file: key, scale, components, checksum.
pub const RECORD_BYTES: usize = 16 + 4 + DIMENSIONS + 4;

/// The on-disk cache of passage vectors for the current model.
pub struct VectorCache {
    path: PathBuf,
    /// Key → (scale, offset of its codes in `codes`).
    index: HashMap<PassageKey, (f32, usize)>,
    codes: Vec<i8>,
    writer: Option<BufWriter<File>>,
}

impl VectorCache {
    /// The cache file for the current model in `dir`.
    pub fn path_in(dir: &Path) -> PathBuf {
        let name: String =
            MODEL_ID.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
        dir.join(format!("{name}.bin"))
    }

    /// An empty cache that keeps nothing on disk (tests, `--no-cache` runs).
    pub fn in_memory() -> Self {
        Self { path: PathBuf::new(), index: HashMap::new(), codes: Vec::new(), writer: None }
    }

    /// Opens (or creates) the cache in `dir`. A damaged tail is cut off; a file of
    /// another format is replaced.
    pub fn open(dir: &Path) -> io::Result<Self> {
        fs::create_dir_all(dir)?;
        let path = Self::path_in(dir);
        let mut cache = Self { path: path.clone(), index: HashMap::new(), codes: Vec::new(), writer: None };
        let mut file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path)?;
        let valid_end = cache.read_records(&mut file)?;
        file.set_len(valid_end)?;
        file.seek(SeekFrom::End(0))?;
        if valid_end == 0 {
            file.write_all(MAGIC)?;
        }
        cache.writer = Some(BufWriter::new(file));
        Ok(cache)
    }

    /// Reads every whole record; returns where the valid part of the file ends.
    fn read_records(&mut self, file: &mut File) -> io::Result<u64> {
        let mut reader = BufReader::with_capacity(1 << 20, &mut *file);
        let mut magic = [0u8; 8];
        if reader.read_exact(&mut magic).is_err() || &magic != MAGIC {
            return Ok(0);
        }
        let mut end = MAGIC.len() as u64;
        let mut record = [0u8; RECORD_BYTES];
        while reader.read_exact(&mut record).is_ok() {
            let (body, checksum) = record.split_at(RECORD_BYTES - 4);
            if blake3::hash(body).as_bytes()[..4] != *checksum {
                break;
            }
            let mut key = [0u8; 16];
            key.copy_from_slice(&body[..16]);
            let scale = f32::from_le_bytes([body[16], body[17], body[18], body[19]]);
            self.insert(key, scale, body[20..].iter().map(|&b| b as i8));
            end += RECORD_BYTES as u64;
        }
        Ok(end)
    }

    fn insert(&mut self, key: PassageKey, scale: f32, codes: impl Iterator<Item = i8>) {
        if self.index.contains_key(&key) {
            return;
        }
        let offset = self.codes.len();
        self.codes.extend(codes);
        self.index.insert(key, (scale, offset));
    }

    /// Number of vectors held.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The vector of a passage, if it was embedded before.
    pub fn get(&self, key: &PassageKey) -> Option<(f32, &[i8])> {
        self.index.get(key).map(|&(scale, offset)| (scale, &self.codes[offset..offset + DIMENSIONS]))
    }

    /// Adds a vector (in memory at once, on disk at the next [`flush`](Self::flush)).
    pub fn put(&mut self, key: PassageKey, vector: &Quantized) -> io::Result<()> {
        if self.index.contains_key(&key) {
            return Ok(());
        }
        self.insert(key, vector.scale, vector.codes.iter().copied());
        if let Some(writer) = self.writer.as_mut() {
            let mut record = Vec::with_capacity(RECORD_BYTES);
            record.extend_from_slice(&key);
            record.extend_from_slice(&vector.scale.to_le_bytes());
            record.extend(vector.codes.iter().map(|&c| c as u8));
            let checksum = blake3::hash(&record);
            record.extend_from_slice(&checksum.as_bytes()[..4]);
            writer.write_all(&record)?;
        }
        Ok(())
    }

    /// Writes buffered records to the file.
    pub fn flush(&mut self) -> io::Result<()> {
        match self.writer.as_mut() {
            Some(writer) => writer.flush(),
            None => Ok(()),
        }
    }

    /// Rewrites the file with only the vectors of `keep` when most of it is stale
    /// (passages edited or removed since), so the file cannot grow without bound.
    pub fn compact(&mut self, keep: &[PassageKey]) -> io::Result<()> {
        let live = keep.iter().filter(|k| self.index.contains_key(*k)).count();
        if self.writer.is_none() || self.index.len() < 1_000 || live * 2 > self.index.len() {
            return Ok(());
        }
        self.flush()?;
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let mut fresh = Self::in_memory();
        for key in keep {
            if let Some((scale, codes)) = self.get(key) {
                fresh.insert(*key, scale, codes.iter().copied());
            }
        }
        let mut temporary = tempfile::NamedTempFile::new_in(dir)?;
        {
            let mut writer = BufWriter::new(temporary.as_file_mut());
            writer.write_all(MAGIC)?;
            let mut entries: Vec<(&PassageKey, &(f32, usize))> = fresh.index.iter().collect();
            entries.sort_by_key(|(_, (_, offset))| *offset);
            for (key, &(scale, offset)) in entries {
                let mut record = Vec::with_capacity(RECORD_BYTES);
                record.extend_from_slice(key);
                record.extend_from_slice(&scale.to_le_bytes());
                record.extend(fresh.codes[offset..offset + DIMENSIONS].iter().map(|&c| c as u8));
                let checksum = blake3::hash(&record);
                record.extend_from_slice(&checksum.as_bytes()[..4]);
                writer.write_all(&record)?;
            }
            writer.flush()?;
        }
        temporary.as_file().sync_all()?;
        let mut file = temporary.persist(&self.path).map_err(|e| e.error)?;
        file.seek(SeekFrom::End(0))?;
        self.index = fresh.index;
        self.codes = fresh.codes;
        self.writer = Some(BufWriter::new(file));
        Ok(())
    }
}

/// `query · codes * scale`: the cosine of a unit query with a quantized unit vector.
pub fn dot(query: &[f32], scale: f32, codes: &[i8]) -> f32 {
    // Eight independent sums let the compiler keep several vector lanes busy.
    let mut sums = [0.0f32; 8];
    for (q, c) in query.chunks_exact(8).zip(codes.chunks_exact(8)) {
        for lane in 0..8 {
            sums[lane] += q[lane] * f32::from(c[lane]);
        }
    }
    sums.iter().sum::<f32>() * scale
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(seed: u32) -> Vec<f32> {
        let raw: Vec<f32> = (0..DIMENSIONS as u32).map(|i| ((i * 31 + seed * 17) % 97) as f32 - 48.0).collect();
        super::super::encoder::normalized(raw)
    }

    #[test]
    fn quantized_dot_products_stay_close_to_the_real_ones() {
        for (a, b) in [(1, 2), (3, 3), (5, 40)] {
            let (x, y) = (unit(a), unit(b));
            let exact: f32 = x.iter().zip(&y).map(|(p, q)| p * q).sum();
            let q = quantize(&y);
            let approximate = dot(&x, q.scale, &q.codes);
            assert!((exact - approximate).abs() < 0.01, "{exact} vs {approximate}");
        }
    }

    #[test]
    fn cached_vectors_survive_reopening_and_a_torn_tail() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = quantize(&unit(1));
        let second = quantize(&unit(2));
        {
            let mut cache = VectorCache::open(dir.path()).expect("open");
            cache.put(passage_key("first"), &first).expect("put");
            cache.put(passage_key("second"), &second).expect("put");
            cache.flush().expect("flush");
        }
        // A crash in the middle of a third record.
        let path = VectorCache::path_in(dir.path());
        let mut file = OpenOptions::new().append(true).open(&path).expect("append");
        file.write_all(&[7u8; 100]).expect("write");
        drop(file);
        let mut cache = VectorCache::open(dir.path()).expect("reopen");
        assert_eq!(cache.len(), 2);
        let (scale, codes) = cache.get(&passage_key("second")).expect("kept");
        assert_eq!((scale, codes), (second.scale, second.codes.as_slice()));
        assert!(cache.get(&passage_key("third")).is_none());
        // The torn bytes were cut, so new records land where they can be read back.
        cache.put(passage_key("third"), &first).expect("put");
        cache.flush().expect("flush");
        drop(cache);
        assert_eq!(VectorCache::open(dir.path()).expect("reopen").len(), 3);
    }

    #[test]
    fn keys_depend_on_the_text() {
        assert_eq!(passage_key("a b"), passage_key("a b"));
        assert_ne!(passage_key("a b"), passage_key("a  b"));
    }
}
