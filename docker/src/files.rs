//! Files inside a container through Docker's archive API — no shell, no `ls`: listing reads the
//! tar headers of `<dir>/.`, reading takes one entry, writing uploads a tar Pier builds itself
//! (one entry, a name it checked). Docker resolves every path (symlinks included) inside the
//! container's own filesystem, so a path cannot reach the host; Pier's part is to hand it a
//! clean absolute path. Delete and rename have no archive-API form: they run `rm`/`mv` with exec,
//! using a static busybox Pier copies into the container (`/.pier/busybox`) when it has none.

use crate::engine::Engine;
use crate::error::DockerError;
use bollard::query_parameters::{ContainerArchiveInfoOptions, DownloadFromContainerOptions, UploadToContainerOptions};
use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt};
use pier_proto::containers::{FileEntry, FileKind};
use tokio::io::AsyncReadExt;

/// An absolute path with `.` and `..` resolved lexically (`/a/../../b` is `/b`: never above
/// the container's root), no empty parts, no NUL.
pub fn clean_path(raw: &str) -> Result<String, DockerError> {
    if !raw.starts_with('/') || raw.contains('\0') || raw.len() > 4096 {
        return Err(DockerError::Invalid(format!("{raw:?} is not an absolute path")));
    }
    let mut parts: Vec<&str> = Vec::new();
    for p in raw.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    Ok(format!("/{}", parts.join("/")))
}

/// A single file or folder name (no `/`, not `.`/`..`).
pub fn check_name(name: &str) -> Result<(), DockerError> {
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\0']) || name.len() > 255 {
        return Err(DockerError::Invalid(format!("{name:?} is not a file name")));
    }
    Ok(())
}

fn kind_of(t: tokio_tar::EntryType) -> FileKind {
    if t.is_dir() {
        FileKind::Dir
    } else if t.is_symlink() {
        FileKind::Symlink
    } else if t.is_file() {
        FileKind::File
    } else {
        FileKind::Other
    }
}

/// The static busybox Pier copies into containers that have no `rm`/`mv` of their own.
const HELPER_SOURCE: &str = "/bin/busybox";
const HELPER_DIR: &str = "/.pier";

impl Engine {
    fn archive_bytes(&self, id: &str, path: &str) -> impl Stream<Item = Result<Bytes, DockerError>> + Send + 'static {
        let id2 = id.to_string();
        self.docker
            .download_from_container(id, Some(DownloadFromContainerOptions { path: path.to_string() }))
            .map_err(move |e| DockerError::from_bollard(e, &id2))
    }

    /// The raw tar of `path` (a folder with everything in it), for downloads.
    pub fn archive(&self, id: &str, path: &str) -> Result<impl Stream<Item = Result<Bytes, DockerError>> + Send + 'static, DockerError> {
        Ok(self.archive_bytes(id, &clean_path(path)?))
    }

    pub async fn stat(&self, id: &str, path: &str) -> Result<FileEntry, DockerError> {
        let path = clean_path(path)?;
        let s = self
            .docker
            .get_container_archive_info(id, Some(ContainerArchiveInfoOptions { path: path.clone() }))
            .await
            .map_err(|e| match DockerError::from_bollard(e, id) {
                DockerError::NoContainer(_) => DockerError::NoPath(path.clone()),
                other => other,
            })?;
        // Go's FileMode: the type in the high bits, permissions in the low 9.
        let kind = if s.file_mode & (1 << 31) != 0 {
            FileKind::Dir
        } else if s.file_mode & (1 << 27) != 0 {
            FileKind::Symlink
        } else if s.file_mode >> 24 == 0 {
            FileKind::File
        } else {
            FileKind::Other
        };
        Ok(FileEntry { name: s.name, kind, size: s.size.max(0) as u64, mode: s.file_mode & 0o7777, modified: 0, link: (!s.link_target.is_empty()).then_some(s.link_target) })
    }

    /// The entries of folder `path` (following it if it is a symlink), folders first.
    pub async fn list_dir(&self, id: &str, path: &str) -> Result<Vec<FileEntry>, DockerError> {
        let path = clean_path(path)?;
        let source = if path == "/" { "/.".to_string() } else { format!("{path}/.") };
        let reader = tokio_util::io::StreamReader::new(Box::pin(self.archive_bytes(id, &source).map_err(std::io::Error::other)));
        let mut archive = tokio_tar::Archive::new(reader);
        let mut entries = archive.entries().map_err(|e| DockerError::Engine(e.to_string()))?;
        let mut out = Vec::new();
        while let Some(entry) = entries.next().await {
            let entry = entry.map_err(|e| DockerError::Engine(format!("reading {path}: {e}")))?;
            let name = entry.path().map_err(|e| DockerError::Engine(e.to_string()))?.to_string_lossy().into_owned();
            let name = name.trim_start_matches("./").trim_end_matches('/');
            // Only the folder's own children (the archive holds the whole subtree).
            if name.is_empty() || name == "." || name.contains('/') {
                continue;
            }
            let h = entry.header();
            out.push(FileEntry {
                name: name.to_string(),
                kind: kind_of(h.entry_type()),
                size: h.size().unwrap_or(0),
                mode: h.mode().unwrap_or(0) & 0o7777,
                modified: h.mtime().unwrap_or(0) as i64,
                link: entry.link_name().ok().flatten().map(|l| l.to_string_lossy().into_owned()),
            });
        }
        out.sort_by(|a, b| (a.kind != FileKind::Dir, &a.name).cmp(&(b.kind != FileKind::Dir, &b.name)));
        Ok(out)
    }

    /// The bytes of regular file `path`, refused when larger than `limit`.
    pub async fn read_file(&self, id: &str, path: &str, limit: u64) -> Result<(FileEntry, Vec<u8>), DockerError> {
        let path = clean_path(path)?;
        let reader = tokio_util::io::StreamReader::new(Box::pin(self.archive_bytes(id, &path).map_err(std::io::Error::other)));
        let mut archive = tokio_tar::Archive::new(reader);
        let mut entries = archive.entries().map_err(|e| DockerError::Engine(e.to_string()))?;
        let Some(entry) = entries.next().await else { return Err(DockerError::NoPath(path)) };
        let mut entry = entry.map_err(|e| DockerError::Engine(e.to_string()))?;
        let h = entry.header().clone();
        let info = FileEntry {
            name: path.rsplit('/').next().unwrap_or_default().to_string(),
            kind: kind_of(h.entry_type()),
            size: h.size().unwrap_or(0),
            mode: h.mode().unwrap_or(0o644) & 0o7777,
            modified: h.mtime().unwrap_or(0) as i64,
            link: entry.link_name().ok().flatten().map(|l| l.to_string_lossy().into_owned()),
        };
        if info.kind != FileKind::File {
            return Err(DockerError::Invalid(format!("{path} is not a regular file")));
        }
        if info.size > limit {
            return Err(DockerError::TooLarge { path, size: info.size, limit });
        }
        let mut bytes = Vec::with_capacity(info.size as usize);
        entry.read_to_end(&mut bytes).await.map_err(|e| DockerError::Engine(e.to_string()))?;
        Ok((info, bytes))
    }

    /// Writes `size` bytes from `content` as `dir/name` (replacing a file there), with `mode`.
    /// The tar is one header Pier writes, the bytes, and the padding: streamed, never buffered.
    pub async fn put_file(
        &self,
        id: &str,
        dir: &str,
        name: &str,
        mode: u32,
        size: u64,
        content: impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
    ) -> Result<(), DockerError> {
        let dir = clean_path(dir)?;
        check_name(name)?;
        let mut header = tokio_tar::Header::new_gnu();
        header.set_path(name).map_err(|e| DockerError::Invalid(e.to_string()))?;
        header.set_size(size);
        header.set_mode(mode & 0o7777);
        header.set_mtime(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0));
        header.set_entry_type(tokio_tar::EntryType::Regular);
        header.set_cksum();
        let pad = ((512 - (size % 512)) % 512) as usize;
        let mut sent = 0u64;
        let counted = content.map(move |chunk| {
            let chunk = chunk?;
            sent += chunk.len() as u64;
            if sent > size {
                return Err(std::io::Error::other("more bytes than announced"));
            }
            Ok(chunk)
        });
        let tail = futures::stream::once(async move { Ok(Bytes::from(vec![0u8; pad + 1024])) });
        let body = futures::stream::once(async move { Ok(Bytes::copy_from_slice(header.as_bytes())) }).chain(counted).chain(tail);
        self.docker
            .upload_to_container(id, Some(UploadToContainerOptions { path: dir.clone(), ..Default::default() }), bollard::body_try_stream(body))
            .await
            .map_err(|e| match DockerError::from_bollard(e, id) {
                DockerError::NoContainer(_) => DockerError::NoPath(dir),
                other => other,
            })
    }

    /// Creates folder `dir/name`.
    pub async fn make_dir(&self, id: &str, dir: &str, name: &str) -> Result<(), DockerError> {
        let dir = clean_path(dir)?;
        check_name(name)?;
        let mut header = tokio_tar::Header::new_gnu();
        header.set_path(format!("{name}/")).map_err(|e| DockerError::Invalid(e.to_string()))?;
        header.set_size(0);
        header.set_mode(0o755);
        header.set_entry_type(tokio_tar::EntryType::Directory);
        header.set_cksum();
        let mut tar = header.as_bytes().to_vec();
        tar.extend_from_slice(&[0u8; 1024]);
        self.docker
            .upload_to_container(id, Some(UploadToContainerOptions { path: dir.clone(), ..Default::default() }), bollard::body_full(Bytes::from(tar)))
            .await
            .map_err(|e| match DockerError::from_bollard(e, id) {
                DockerError::NoContainer(_) => DockerError::NoPath(dir),
                other => other,
            })
    }

    /// Runs a file command (`rm -rf -- p`, `mv -- a b`) with the container's own tool, or with
    /// Pier's busybox copied in when it has none. The container must be running.
    async fn file_command(&self, id: &str, args: &[&str]) -> Result<(), DockerError> {
        if self.run_quiet(id, args.iter().map(|s| s.to_string()).collect()).await? == Some(0) {
            return Ok(());
        }
        let mut argv = vec![self.helper(id).await?];
        argv.extend(args.iter().map(|s| s.to_string()));
        match self.run_quiet(id, argv).await? {
            Some(0) => Ok(()),
            code => Err(DockerError::Engine(format!("{} failed (exit code {code:?})", args[0]))),
        }
    }

    /// Pier's static busybox inside container `id` (copied in on first use), for images that
    /// lack a tool Pier needs (`rm`, `mv`, `sh`). Returns its path in the container.
    pub(crate) async fn helper(&self, id: &str) -> Result<String, DockerError> {
        let helper = format!("{HELPER_DIR}/busybox");
        if self.stat(id, &helper).await.is_err() {
            let bytes = tokio::fs::read(HELPER_SOURCE).await.map_err(|e| DockerError::Engine(format!("{HELPER_SOURCE} (busybox-static) is needed for containers without their own tools: {e}")))?;
            let _ = self.make_dir(id, "/", ".pier").await;
            let size = bytes.len() as u64;
            self.put_file(id, HELPER_DIR, "busybox", 0o755, size, futures::stream::once(async move { Ok(Bytes::from(bytes)) })).await?;
        }
        Ok(helper)
    }

    /// Runs argv without a TTY, discarding output; returns its exit code.
    async fn run_quiet(&self, id: &str, argv: Vec<String>) -> Result<Option<i64>, DockerError> {
        let mut s = match self.exec(id, argv, false, None).await {
            Ok(s) => s,
            Err(DockerError::Conflict(m)) => return Err(DockerError::Conflict(m)),
            Err(_) => return Ok(None),
        };
        while s.output.next().await.is_some() {}
        self.exec_exit_code(&s.exec_id).await
    }

    pub async fn remove_path(&self, id: &str, path: &str) -> Result<(), DockerError> {
        let path = clean_path(path)?;
        if path == "/" {
            return Err(DockerError::Invalid("the root folder cannot be removed".into()));
        }
        self.file_command(id, &["rm", "-rf", "--", &path]).await
    }

    pub async fn rename_path(&self, id: &str, path: &str, new_name: &str) -> Result<(), DockerError> {
        let path = clean_path(path)?;
        check_name(new_name)?;
        let parent = path.rsplit_once('/').map(|(p, _)| if p.is_empty() { "/" } else { p }).unwrap_or("/");
        let target = clean_path(&format!("{parent}/{new_name}"))?;
        self.file_command(id, &["mv", "-n", "--", &path, &target]).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_cleaned_and_never_climb_above_the_root() {
        assert_eq!(clean_path("/a/./b//c/").unwrap(), "/a/b/c");
        assert_eq!(clean_path("/../../etc/passwd").unwrap(), "/etc/passwd");
        assert_eq!(clean_path("/a/b/../../..").unwrap(), "/");
        assert!(clean_path("etc").is_err() && clean_path("/a\0b").is_err());
        assert!(check_name("a.txt").is_ok());
        for bad in ["", ".", "..", "a/b", "x\0"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
