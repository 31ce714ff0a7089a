//! The file manager's service side: who may read (owner and staff) and change (owner and
//! admins) files in a container, text/binary detection and the size limit of the editor, and an
//! audit entry for every change. The archive-API work is `pier_docker::files`.

use super::{short, Containers, ContainersError, Result};
use crate::actor::Actor;
use crate::audit::{Outcome, RequestContext};
use bytes::Bytes;
use futures::Stream;
use pier_docker::Engine;
use pier_proto::containers::{FileEntry, TextFile, EDIT_LIMIT};
use pier_proto::ApiError;

/// Text is what a person can edit: valid UTF-8 without NUL bytes.
pub fn as_text(bytes: Vec<u8>) -> Option<String> {
    if bytes.contains(&0) {
        return None;
    }
    String::from_utf8(bytes).ok()
}

impl Containers {
    async fn readable(&self, actor: &Actor, id: &str) -> Result<Engine> {
        Ok(self.log_source(actor, id).await?.0)
    }

    /// Checks the change (owner or admin) and returns the engine and the container's name.
    async fn writable(&self, actor: &Actor, id: &str, action: &str, ctx: &RequestContext) -> Result<(Engine, String)> {
        let (view, e) = self.operable(actor, id, action, ctx).await?;
        Ok((self.engine(&e)?, view.name))
    }

    async fn record_change(&self, actor: &Actor, id: &str, action: &str, ctx: &RequestContext, detail: String) {
        self.audit.record(actor, action, &format!("container:{}", short(id)), Outcome::Success, ctx, &detail).await;
    }

    pub async fn list_files(&self, actor: &Actor, id: &str, path: &str) -> Result<Vec<FileEntry>> {
        Ok(self.readable(actor, id).await?.list_dir(id, path).await?)
    }

    /// A file for the editor: its text, or `text: None` for a binary file.
    pub async fn read_text_file(&self, actor: &Actor, id: &str, path: &str) -> Result<TextFile> {
        let engine = self.readable(actor, id).await?;
        let path = pier_docker::files::clean_path(path)?;
        let (info, bytes) = engine.read_file(id, &path, EDIT_LIMIT).await?;
        Ok(TextFile { path, size: info.size, mode: info.mode, text: as_text(bytes) })
    }

    /// Saves `text` as the file at `path` (keeping the mode of the file it replaces).
    pub async fn write_text_file(&self, actor: &Actor, id: &str, path: &str, text: String, ctx: &RequestContext) -> Result<()> {
        if text.len() as u64 > EDIT_LIMIT {
            return Err(ContainersError::Invalid(ApiError::invalid("text", format!("Files up to {EDIT_LIMIT} bytes are edited here."))));
        }
        let (engine, name) = self.writable(actor, id, "container.file_write", ctx).await?;
        let path = pier_docker::files::clean_path(path)?;
        let (dir, file) = split(&path)?;
        let mode = engine.stat(id, &path).await.map(|s| s.mode).unwrap_or(0o644);
        let size = text.len() as u64;
        engine.put_file(id, dir, file, mode, size, futures::stream::once(async move { Ok(Bytes::from(text)) })).await?;
        self.record_change(actor, id, "container.file_write", ctx, format!("{name}: {path} ({size} bytes)")).await;
        Ok(())
    }

    /// Streams an upload of `size` bytes into folder `dir` as `file_name`.
    pub async fn upload_file(
        &self,
        actor: &Actor,
        id: &str,
        dir: &str,
        file_name: &str,
        size: u64,
        content: impl Stream<Item = std::result::Result<Bytes, std::io::Error>> + Send + 'static,
        ctx: &RequestContext,
    ) -> Result<()> {
        let (engine, name) = self.writable(actor, id, "container.file_upload", ctx).await?;
        engine.put_file(id, dir, file_name, 0o644, size, content).await?;
        self.record_change(actor, id, "container.file_upload", ctx, format!("{name}: {dir}/{file_name} ({size} bytes)")).await;
        Ok(())
    }

    pub async fn make_folder(&self, actor: &Actor, id: &str, dir: &str, folder: &str, ctx: &RequestContext) -> Result<()> {
        let (engine, name) = self.writable(actor, id, "container.file_mkdir", ctx).await?;
        engine.make_dir(id, dir, folder).await?;
        self.record_change(actor, id, "container.file_mkdir", ctx, format!("{name}: {dir}/{folder}")).await;
        Ok(())
    }

    pub async fn delete_path(&self, actor: &Actor, id: &str, path: &str, ctx: &RequestContext) -> Result<()> {
        let (engine, name) = self.writable(actor, id, "container.file_delete", ctx).await?;
        engine.remove_path(id, path).await?;
        self.record_change(actor, id, "container.file_delete", ctx, format!("{name}: {path}")).await;
        Ok(())
    }

    pub async fn rename_path(&self, actor: &Actor, id: &str, path: &str, new_name: &str, ctx: &RequestContext) -> Result<()> {
        let (engine, name) = self.writable(actor, id, "container.file_rename", ctx).await?;
        engine.rename_path(id, path, new_name).await?;
        self.record_change(actor, id, "container.file_rename", ctx, format!("{name}: {path} → {new_name}")).await;
        Ok(())
    }

    /// For downloads: the engine (after the read check) and what `path` is.
    pub async fn download_source(&self, actor: &Actor, id: &str, path: &str) -> Result<(Engine, FileEntry)> {
        let engine = self.readable(actor, id).await?;
        let entry = engine.stat(id, path).await?;
        Ok((engine, entry))
    }
}

/// `/a/b.txt` → (`/a`, `b.txt`).
fn split(path: &str) -> Result<(&str, &str)> {
    match path.rsplit_once('/') {
        Some((dir, file)) if !file.is_empty() => Ok((if dir.is_empty() { "/" } else { dir }, file)),
        _ => Err(ContainersError::Invalid(ApiError::invalid("path", "That is a folder, not a file."))),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_is_utf8_without_nul() {
        assert_eq!(super::as_text(b"hello\n".to_vec()).as_deref(), Some("hello\n"));
        assert_eq!(super::as_text(vec![0x7f, 0x45, 0x4c, 0x46, 0]), None);
        assert_eq!(super::as_text(vec![0xff, 0xfe]), None);
        assert_eq!(super::split("/a/b.txt").unwrap(), ("/a", "b.txt"));
        assert_eq!(super::split("/b.txt").unwrap(), ("/", "b.txt"));
    }
}
