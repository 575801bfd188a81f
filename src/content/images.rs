//! Images uploaded from the browser editor: checked, named and placed beside the page.
//!
//! An upload is only kept when it is a PNG, JPEG, GIF or WebP picture that decodes
//! completely within size limits (so a script or an HTML file renamed `.png` is
//! refused, and SVG, which can carry script, is not taken at all). Its file name is
//! made from the uploaded name's letters and digits, never used as a path.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Widest and tallest picture taken, in pixels.
const MAX_SIDE: u32 = 12_000;

/// An image that passed the checks, saved in the content folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedImage {
    /// Content-relative path of the new file.
    pub path: PathBuf,
    /// What to write in the page to show it: `![Alt text](file.png)`.
    pub markdown: String,
}

/// The file extension for `bytes` if they are a whole, readable picture no larger than
/// `max_bytes`; else why not, in words for the author.
pub fn check_image(bytes: &[u8], max_bytes: usize) -> Result<&'static str, String> {
    use image::ImageFormat;
    if bytes.is_empty() {
        return Err("the file is empty".into());
    }
    if bytes.len() > max_bytes {
        return Err(format!(
            "the image is {} KB; the largest allowed is {} KB (editor.max_image_kb)",
            bytes.len().div_ceil(1024),
            max_bytes / 1024
        ));
    }
    let format = image::guess_format(bytes).map_err(|_| not_a_picture())?;
    let extension = match format {
        ImageFormat::Png => "png",
        ImageFormat::Jpeg => "jpg",
        ImageFormat::Gif => "gif",
        ImageFormat::WebP => "webp",
        _ => return Err(not_a_picture()),
    };
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    reader.decode().map_err(|err| format!("the image cannot be read ({err}); save it again as PNG or JPEG"))?;
    Ok(extension)
}

fn not_a_picture() -> String {
    "the file is not a PNG, JPEG, GIF or WebP picture".into()
}

/// Checks `bytes` and saves them in `folder` (content-relative, already checked) of
/// `content_dir` under a name made from `uploaded_name`, never replacing a file.
pub fn save_image(
    content_dir: &Path,
    folder: &Path,
    uploaded_name: &str,
    bytes: &[u8],
    max_bytes: usize,
) -> Result<SavedImage, String> {
    let extension = check_image(bytes, max_bytes)?;
    let uploaded_stem = uploaded_name.rsplit(['/', '\\']).next().unwrap_or("");
    let uploaded_stem = uploaded_stem.rsplit_once('.').map_or(uploaded_stem, |(stem, _)| stem);
    let stem: String = slug::slugify(uploaded_stem).chars().take(60).collect();
    let stem = match stem.trim_matches('-') {
        "" => "image".to_string(),
        stem => stem.to_string(),
    };
    let directory = content_dir.join(folder);
    std::fs::create_dir_all(&directory).map_err(|err| format!("cannot create the folder: {err}"))?;
    for n in 1..1000 {
        let name = if n == 1 { format!("{stem}.{extension}") } else { format!("{stem}-{n}.{extension}") };
        let target = directory.join(&name);
        // `create_new`: two uploads of the same name never overwrite each other.
        let file = std::fs::OpenOptions::new().write(true).create_new(true).open(&target);
        let mut file = match file {
            Ok(file) => file,
            Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(err) => return Err(format!("cannot save the image: {err}")),
        };
        let written = file.write_all(bytes).and_then(|()| file.sync_all());
        if let Err(err) = written {
            let _ = std::fs::remove_file(&target);
            return Err(format!("cannot save the image: {err}"));
        }
        let alt = stem.replace('-', " ");
        return Ok(SavedImage { path: folder.join(&name), markdown: format!("![{alt}]({name})") });
    }
    Err("too many images with this name in the folder; rename the file".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid 1×1 PNG.
    fn png() -> Vec<u8> {
        let mut bytes = Vec::new();
        image::RgbImage::new(1, 1)
            .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
            .expect("encode");
        bytes
    }

    #[test]
    fn pictures_are_kept_beside_the_page_under_a_safe_name() {
        let content = tempfile::tempdir().expect("tempdir");
        let saved = save_image(content.path(), Path::new("billing"), "../../Screen Shot 1.PNG", &png(), 1 << 20)
            .expect("saved");
        assert_eq!(saved.path, Path::new("billing/screen-shot-1.png"));
        assert_eq!(saved.markdown, "![screen shot 1](screen-shot-1.png)");
        let again =
            save_image(content.path(), Path::new("billing"), "screen shot 1.png", &png(), 1 << 20).expect("saved");
        assert_eq!(again.path, Path::new("billing/screen-shot-1-2.png"), "never overwritten");
        assert!(content.path().join("billing/screen-shot-1.png").is_file());
    }

    #[test]
    fn other_files_are_refused() {
        let html = b"<html><script>alert(1)</script></html>";
        assert!(check_image(html, 1 << 20).is_err());
        let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>";
        assert!(check_image(svg, 1 << 20).is_err());
        let mut truncated = png();
        truncated.truncate(truncated.len() / 2);
        assert!(check_image(&truncated, 1 << 20).is_err(), "a picture that does not decode");
        assert!(check_image(&png(), 10).expect_err("too big").contains("KB"));
    }
}
