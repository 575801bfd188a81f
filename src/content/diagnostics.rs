//! Problems found while loading content, as data.
//!
//! The loader never stops at the first problem: it collects every one of them so
//! `quire check` can print them all, and so the server can log them and keep serving
//! whatever did load.

use std::fmt;
use std::path::{Path, PathBuf};

/// How bad a problem is: errors fail `quire check`, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// One problem in one content file, pointing at the line where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Path relative to the content directory.
    pub path: PathBuf,
    /// 1-based line number, when the problem has one.
    pub line: Option<usize>,
    pub message: String,
}

impl Diagnostic {
    pub fn error(path: &Path, line: Option<usize>, message: impl Into<String>) -> Self {
        Self { severity: Severity::Error, path: path.to_path_buf(), line, message: message.into() }
    }

    pub fn warning(path: &Path, line: Option<usize>, message: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, path: path.to_path_buf(), line, message: message.into() }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match self.line {
            Some(line) => write!(f, "{level}: {}:{line}: {}", self.path.display(), self.message),
            None => write!(f, "{level}: {}: {}", self.path.display(), self.message),
        }
    }
}

/// Converts a byte offset in `text` into a 1-based line number.
pub fn line_at(text: &str, byte_offset: usize) -> usize {
    let end = byte_offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}
