//! The files of an image under LOA_DATA_DIR/media: written whole or not at all, removed quietly.

use std::path::Path;

use tokio::io::AsyncWriteExt;

use crate::error::Result;
use crate::media::{MediaName, Processed};

/// Writes both files. Each goes to a temporary name first and is renamed into place once
/// complete and synced, so a crash never leaves half an image under a servable name.
pub(super) async fn store(dir: &Path, name: &MediaName, p: &Processed) -> Result<()> {
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| anyhow::Error::new(e).context("creating the media folder"))?;
    let result = async {
        write_atomically(dir, &name.thumb_file_name(), &p.thumb).await?;
        write_atomically(dir, &name.file_name(), &p.display).await
    }
    .await;
    if let Err(e) = result {
        remove(dir, name).await;
        return Err(anyhow::Error::new(e).context("writing a media file").into());
    }
    Ok(())
}

async fn write_atomically(dir: &Path, file_name: &str, bytes: &[u8]) -> std::io::Result<()> {
    // The temporary name never matches the served pattern.
    let tmp = dir.join(format!(".tmp-{file_name}"));
    let write = async {
        let mut f = tokio::fs::File::create(&tmp).await?;
        f.write_all(bytes).await?;
        f.sync_all().await?;
        tokio::fs::rename(&tmp, dir.join(file_name)).await
    }
    .await;
    if write.is_err() {
        let _ = tokio::fs::remove_file(&tmp).await;
    }
    write
}

/// Removes an image's files; a file already gone is fine, other failures are only logged (an
/// orphan file is harmless, and its name is unguessable).
pub(super) async fn remove(dir: &Path, name: &MediaName) {
    for file in [name.file_name(), name.thumb_file_name()] {
        match tokio::fs::remove_file(dir.join(&file)).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(file = %file, error = %e, "could not remove a media file"),
        }
    }
}
