//! The backup archive: a gzip-compressed tar holding the database (a SQLite file or a `pg_dump`
//! custom-format dump), the uploaded media under `media/`, and last a manifest (`loa-backup.json`)
//! with the size and SHA-256 of every file. An archive cut short has no manifest and is refused;
//! a file that does not match its line in the manifest is refused too.
//!
//! Blocking I/O throughout: callers run these on a blocking thread.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context};
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const MANIFEST: &str = "loa-backup.json";
pub const MEDIA: &str = "media";
/// The database's name in the archive, by backend.
pub const SQLITE_FILE: &str = "database.sqlite";
pub const POSTGRES_FILE: &str = "database.pgdump";
/// The version of this layout; restore refuses newer ones.
pub const FORMAT: u32 = 1;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub format: u32,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub loa_version: String,
    pub database: FileEntry,
    pub media: Vec<FileEntry>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileEntry {
    /// The path inside the archive (media: `media/NAME`).
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// Writes the archive at `dest` atomically (a temporary file in the same folder, synced, then
/// renamed), with `database` stored as `database_name` and every file under `media_dir`.
/// Returns the manifest written.
pub fn write(
    dest: &Path,
    backend: &str,
    database: &Path,
    database_name: &str,
    media_dir: &Path,
) -> anyhow::Result<Manifest> {
    let folder = parent_of(dest);
    let tmp = tempfile::Builder::new()
        .prefix(".loa-backup-")
        .suffix(".part")
        .tempfile_in(folder)
        .with_context(|| format!("không tạo được tệp tạm trong {}", folder.display()))?;
    let mut tar = tar::Builder::new(GzEncoder::new(
        BufWriter::new(tmp.as_file().try_clone()?),
        flate2::Compression::default(),
    ));

    let database_entry = FileEntry {
        path: database_name.to_owned(),
        bytes: std::fs::metadata(database)?.len(),
        sha256: sha256_file(database)?,
    };
    append(
        &mut tar,
        database_name,
        database_entry.bytes,
        File::open(database)?,
    )?;

    let mut media = Vec::new();
    for relative in media_files(media_dir)? {
        // Read once: what is hashed is exactly what is stored.
        let bytes = std::fs::read(media_dir.join(&relative))?;
        let path = format!("{MEDIA}/{relative}");
        append(&mut tar, &path, bytes.len() as u64, bytes.as_slice())?;
        media.push(FileEntry {
            path,
            bytes: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(&bytes)),
        });
    }

    let manifest = Manifest {
        format: FORMAT,
        backend: backend.to_owned(),
        created_at: crate::time::now().to_rfc3339(),
        loa_version: env!("CARGO_PKG_VERSION").to_owned(),
        database: database_entry,
        media,
    };
    let json = serde_json::to_vec_pretty(&manifest)?;
    append(&mut tar, MANIFEST, json.len() as u64, json.as_slice())?;

    let mut out = tar.into_inner()?.finish()?;
    out.flush()?;
    drop(out);
    tmp.as_file().sync_all()?;
    tmp.persist(dest)
        .map_err(|e| e.error)
        .with_context(|| format!("không ghi được {}", dest.display()))?;
    sync_dir(folder);
    Ok(manifest)
}

fn append(
    tar: &mut tar::Builder<impl Write>,
    path: &str,
    size: u64,
    data: impl Read,
) -> io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(0o600);
    header.set_mtime(crate::time::now().timestamp().max(0) as u64);
    header.set_entry_type(tar::EntryType::Regular);
    tar.append_data(&mut header, path, data)
}

/// Unpacks `archive` into the empty folder `staging` and checks every file against the
/// manifest; returns the manifest.
pub fn unpack(archive: &Path, staging: &Path) -> anyhow::Result<Manifest> {
    let file =
        File::open(archive).with_context(|| format!("không mở được {}", archive.display()))?;
    let mut tar = tar::Archive::new(GzDecoder::new(BufReader::new(file)));
    let mut seen: Vec<String> = Vec::new();
    for entry in tar
        .entries()
        .context("không phải một bản sao lưu của Loa (.tar.gz)")?
    {
        let mut entry = entry.context("bản sao lưu bị hỏng")?;
        if entry.header().entry_type().is_dir() {
            continue;
        }
        let path = entry.path()?.into_owned();
        let name = safe_name(&path)
            .with_context(|| format!("tệp lạ trong bản sao lưu: {}", path.display()))?;
        if !entry.header().entry_type().is_file() {
            bail!("tệp lạ trong bản sao lưu: {name}");
        }
        // `unpack_in` refuses paths that would leave `staging`.
        entry.unpack_in(staging)?;
        seen.push(name);
    }
    let manifest_path = staging.join(MANIFEST);
    if !manifest_path.is_file() {
        bail!("bản sao lưu không đầy đủ (thiếu {MANIFEST}); có thể tệp bị cắt ngang");
    }
    let manifest: Manifest = serde_json::from_slice(&std::fs::read(&manifest_path)?)
        .context("mục lục của bản sao lưu hỏng")?;
    if manifest.format > FORMAT {
        bail!(
            "bản sao lưu theo định dạng {} của một phiên bản Loa mới hơn ({}); hãy dùng phiên bản đó",
            manifest.format,
            manifest.loa_version
        );
    }
    let listed: Vec<&FileEntry> = std::iter::once(&manifest.database)
        .chain(&manifest.media)
        .collect();
    for f in &listed {
        let path = staging.join(&f.path);
        let ok = path.is_file()
            && std::fs::metadata(&path)?.len() == f.bytes
            && sha256_file(&path)? == f.sha256;
        if !ok {
            bail!("tệp {} trong bản sao lưu không khớp với mục lục", f.path);
        }
    }
    if let Some(extra) = seen
        .iter()
        .find(|s| s.as_str() != MANIFEST && !listed.iter().any(|f| &f.path == *s))
    {
        bail!("tệp {extra} có trong bản sao lưu nhưng không có trong mục lục");
    }
    Ok(manifest)
}

/// The entry's path as `a/b` when it is a plain relative path the archive may hold.
fn safe_name(path: &Path) -> Option<String> {
    let parts: Vec<&str> = path
        .components()
        .map(|c| match c {
            Component::Normal(s) => s.to_str(),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let name = parts.join("/");
    let allowed = name == MANIFEST
        || name == SQLITE_FILE
        || name == POSTGRES_FILE
        || (parts.len() > 1 && parts[0] == MEDIA);
    allowed.then_some(name)
}

/// Every uploaded file under `dir`, as relative `a/b` paths, sorted; temporary files (names
/// starting with a dot, as uploads in progress are) left out. A missing folder has none.
pub fn media_files(dir: &Path) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    if dir.is_dir() {
        walk(dir, &PathBuf::new(), &mut out)?;
    }
    out.sort();
    Ok(out)
}

fn walk(root: &Path, relative: &Path, out: &mut Vec<String>) -> io::Result<()> {
    for entry in std::fs::read_dir(root.join(relative))? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with('.') {
            continue;
        }
        let path = relative.join(name);
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(root, &path, out)?;
        } else if kind.is_file() {
            out.push(path.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut hasher = Sha256::new();
    io::copy(&mut BufReader::new(File::open(path)?), &mut hasher)?;
    Ok(hex::encode(hasher.finalize()))
}

fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Makes a rename in `dir` durable. Best effort: not every platform can open a folder.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_plain_paths_are_accepted() {
        assert_eq!(
            safe_name(Path::new("media/abc.webp")).as_deref(),
            Some("media/abc.webp")
        );
        assert_eq!(safe_name(Path::new(MANIFEST)).as_deref(), Some(MANIFEST));
        for bad in [
            "../etc/passwd",
            "/etc/passwd",
            "media/../../x",
            "media",
            "other.txt",
        ] {
            assert_eq!(safe_name(Path::new(bad)), None, "{bad}");
        }
    }

    #[test]
    fn round_trip_and_tampering() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("db");
        std::fs::write(&db, b"database bytes").unwrap();
        let media = dir.path().join("m");
        std::fs::create_dir_all(media.join("sub")).unwrap();
        std::fs::write(media.join("a.webp"), b"image").unwrap();
        std::fs::write(media.join("sub/b.png"), b"other").unwrap();
        std::fs::write(media.join(".tmp-c.png"), b"half").unwrap();
        let archive = dir.path().join("out.tar.gz");
        let written = write(&archive, "sqlite", &db, SQLITE_FILE, &media).unwrap();
        assert_eq!(written.media.len(), 2);

        let staging = tempfile::tempdir().unwrap();
        let read = unpack(&archive, staging.path()).unwrap();
        assert_eq!(read, written);
        assert_eq!(
            std::fs::read(staging.path().join("media/sub/b.png")).unwrap(),
            b"other"
        );

        // Cut short: no manifest.
        let bytes = std::fs::read(&archive).unwrap();
        let cut = dir.path().join("cut.tar.gz");
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        assert!(unpack(&cut, tempfile::tempdir().unwrap().path()).is_err());
    }
}
